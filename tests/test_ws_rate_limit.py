"""Operations started over a websocket: rate limited like HTTP requests, and capped per socket.

A real uvicorn server and websocket client for both protocols: the operation over a limit gets
an `error` message for its id with the code, the socket stays open and the caller's earlier
subscription keeps delivering.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from app.main import create_app
from services.auth import authenticate
from services.ratelimit import ip_key, user_key
from tests.test_fanout import (
    LEGACY_WS,
    SUBSCRIBE,
    TIMEOUT,
    TRANSPORT_WS,
    Client,
    acme,  # noqa: F401  (the fixture)
    change_status,
    serving,
)

VIEWER = "{ viewer { username } }"
PROTOCOLS = pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])


@pytest.fixture
async def limited(settings, db) -> AsyncIterator[Starlette]:
    """The real app with small limits: 4 operations a minute per user, 2 at once per socket."""
    application = create_app(settings.model_copy(update={
        "rate_limit_per_minute_user": 4, "ws_max_subscriptions": 2}))
    async with application.router.lifespan_context(application):
        yield application


async def subscribe(client: Client, deployment_id: str, id: str) -> dict[str, Any]:
    """Start the deployment's subscription as `id`; its first event (the deployment as it is)."""
    await client.send(start(client, id, SUBSCRIBE, {"id": deployment_id}))
    first = await next_for(client, id)
    assert first["type"] == ("data" if client.legacy else "next"), first
    return first["payload"]


async def once(client: Client, deployment_id: str, id: str) -> dict[str, Any]:
    """One operation both protocols run (graphql-ws runs subscriptions only): subscribe, take
    the first event, unsubscribe."""
    first = await subscribe(client, deployment_id, id)
    await client.send({"id": id, "type": "stop" if client.legacy else "complete"})
    return first


def start(client: Client, id: str, query: str,
          variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": id, "type": "start" if client.legacy else "subscribe",
            "payload": {"query": query, "variables": variables or {}}}


def error_of(client: Client, message: dict[str, Any]) -> dict[str, Any]:
    """The refusal's GraphQL error: graphql-transport-ws sends a list, graphql-ws one error."""
    assert message["type"] == "error", message
    if client.legacy:
        return message["payload"]
    [error] = message["payload"]
    return error


async def next_for(client: Client, id: str) -> dict[str, Any]:
    """The next message for operation `id`, past the `complete` of earlier queries."""
    while True:
        message = await client.receive()
        if message.get("id") == id and message["type"] != "complete":
            return message


@PROTOCOLS
async def test_an_operation_over_the_rate_limit_is_refused_alone(
    limited, acme, redis, protocol  # noqa: F811
) -> None:
    key = user_key((await authenticate(acme["alice"], limited.state)).user_id)
    async with serving(limited) as host:
        async with Client.connected(host, protocol, acme["alice"]) as alice:
            first = await subscribe(alice, acme["id"], "sub")  # 1 of 4
            answers = [await once(alice, acme["id"], f"q{n}") for n in range(3)]  # 2-4 of 4
            await alice.send(start(alice, "over", VIEWER))  # 5 of 4
            refused = await next_for(alice, "over")
            counted = await redis.zcard(key)

            await redis.delete(key)  # as if the minute had passed: the mutation gets through
            await change_status(host, acme["id"], acme["alice"], "DEPLOYING")
            event = await next_for(alice, "sub")

    assert first["data"]["deploymentStatus"]["deployment"]["status"] == "PENDING"
    deployments = [a["data"]["deploymentStatus"]["deployment"] for a in [first, *answers]]
    assert deployments == [deployments[0]] * 4
    error = error_of(alice, refused)
    retry_after = error["extensions"]["retryAfter"]
    assert 1 <= retry_after <= 60
    assert error == {"message": f"Too many requests: retry in {retry_after} s",
                     "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after}}
    # the socket stayed open and the earlier subscription still delivers
    assert event["payload"]["data"]["deploymentStatus"]["previousStatus"] == "PENDING"
    assert event["payload"]["data"]["deploymentStatus"]["deployment"]["status"] == "DEPLOYING"
    # counted in her per-user bucket; the refused operation was not counted
    assert counted == 4


@PROTOCOLS
async def test_http_and_socket_share_one_budget(limited, acme, protocol) -> None:  # noqa: F811
    async with serving(limited) as host:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            answers = [await http.post(f"http://{host}/graphql", json={"query": VIEWER},
                                       headers={"authorization": acme["alice"]})
                       for _ in range(3)]
        async with Client.connected(host, protocol, acme["alice"]) as alice:
            allowed = await subscribe(alice, acme["id"], "4")
            await alice.send(start(alice, "5", VIEWER))
            refused = await next_for(alice, "5")
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            after = await http.post(f"http://{host}/graphql", json={"query": VIEWER},
                                    headers={"authorization": acme["alice"]})

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert allowed["data"]["deploymentStatus"]["deployment"]["status"] == "PENDING"
    assert error_of(alice, refused)["extensions"]["code"] == "RATE_LIMITED"
    assert after.status_code == 429


@PROTOCOLS
async def test_a_socket_runs_at_most_the_configured_operations_at_once(
    limited, acme, protocol  # noqa: F811
) -> None:
    async with serving(limited) as host:
        async with Client.connected(host, protocol, acme["alice"]) as alice:
            await subscribe(alice, acme["id"], "a")
            await subscribe(alice, acme["id"], "b")
            await alice.send(start(alice, "c", VIEWER))
            capped = await next_for(alice, "c")

            await alice.send({"id": "a", "type": "stop" if alice.legacy else "complete"})
            await subscribe(alice, acme["id"], "d")  # a's place is free again
            await change_status(host, acme["id"], acme["alice"], "DEPLOYING")
            events: set[str] = set()
            while not {"b", "d"} <= events:  # the event, to every running subscription
                message = await alice.receive()
                if message["type"] in ("next", "data"):
                    events.add(message["id"])

    assert error_of(alice, capped) == {
        "message": "At most 2 operations may run at once on one socket",
        "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"}}
    assert events == {"b", "d"}


async def test_anonymous_sockets_are_limited_per_ip(settings, db, redis) -> None:
    application = create_app(settings.model_copy(update={"rate_limit_per_minute_ip": 1}))
    async with application.router.lifespan_context(application), serving(application) as host:
        await redis.delete(ip_key("127.0.0.1"))  # other tests' anonymous calls from here
        try:
            async with connect(f"ws://{host}/graphql", subprotocols=[TRANSPORT_WS]) as ws:
                anonymous = Client(ws, TRANSPORT_WS)
                await anonymous.send({"type": "connection_init", "payload": {}})
                assert (await anonymous.receive())["type"] == "connection_ack"
                await anonymous.send(start(anonymous, "1", "{ __typename }"))
                allowed = await next_for(anonymous, "1")
                await anonymous.send(start(anonymous, "2", "{ __typename }"))
                refused = await next_for(anonymous, "2")
        finally:
            await redis.delete(ip_key("127.0.0.1"))

    assert allowed["payload"] == {"data": {"__typename": "Query"}}
    assert error_of(anonymous, refused)["extensions"]["code"] == "RATE_LIMITED"
