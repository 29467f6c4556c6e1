"""A burst against a server whose pools are far too small for it: 500 websockets connecting
and subscribing at once beside 500 HTTP queries. Each is answered, or refused as
SERVICE_UNAVAILABLE (HTTP 503 with Retry-After; a socket closed with 1013 or its operation's
error with that code), never a dropped socket, a 500 or another code; and the server serves
as before once the burst is over."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from strawberry.relay import to_base64
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from services.availability import SERVICE_UNAVAILABLE
from services.security.sessions import open_session
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.deployments import make_deployment
from tests.factories.identity import make_membership, make_organization, make_user
from tests.faults.conftest import Stack, codes, frame, post, ready_is, serving, until

BURST = 500
QUERY = "{ organizations(first: 5) { edges { node { name } } } }"
STATUS = "subscription ($id: ID!) { deploymentStatus(id: $id) { deployment { name } } }"
SMALL_POOLS = {"AIPLATFORM_DB_POOL_SIZE": "1", "AIPLATFORM_DB_MAX_OVERFLOW": "0",
               "AIPLATFORM_DB_POOL_TIMEOUT_SECONDS": "0.05",
               "AIPLATFORM_REDIS_POOL_SIZE": "2", "AIPLATFORM_REDIS_POOL_TIMEOUT_SECONDS": "0.05",
               "AIPLATFORM_AUTH_CACHE_SECONDS": "0",
               "AIPLATFORM_RATE_LIMIT_PER_MINUTE_USER": "100000",
               "AIPLATFORM_RATE_LIMIT_PER_MINUTE_IP": "100000"}


@pytest.fixture(scope="module")
def small_server(stack: Stack) -> Iterator[str]:
    with serving(stack, **SMALL_POOLS) as url:
        yield url


async def watcher(stack: Stack, sessionmaker) -> tuple[dict[str, str], str]:
    """A member's headers and the global ID of a deployment of their organization."""
    async with sessionmaker() as session:
        org, user = await make_organization(session), await make_user(session)
        await make_membership(session, organization=org, user=user)
        model = await make_model(session, organization=org)
        deployment = await make_deployment(
            session, model_version=await make_model_version(session, model=model))
        tokens = await open_session(session, stack.settings, user_id=user.id)
        await session.commit()
    return ({"authorization": f"Bearer {tokens.access_token}"},
            to_base64("Deployment", deployment.id))


async def socket_outcome(base_url: str, headers: dict[str, str], deployment: str) -> str:
    """"event" (its first event), "refused: <codes>" or "closed <code>": how one socket
    that connects and subscribes fared."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    try:
        async with connect(url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                           open_timeout=120, close_timeout=30) as ws:
            await ws.send(orjson.dumps({"type": "connection_init", "payload": {
                "Authorization": headers["authorization"]}}).decode())
            if (await frame(ws, 120))["type"] != "connection_ack":
                return "no ack"
            await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
                "query": STATUS, "variables": {"id": deployment}}}).decode())
            first = await frame(ws, 120)
    except ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else None}"
    payload = first.get("payload")
    if first["type"] == "next" and "errors" not in payload:
        return "event"
    found = codes(payload if first["type"] == "next" else {"errors": payload})
    return f"refused: {','.join(sorted(set(found)))}"


async def http_outcome(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    """"ok", "503" (with Retry-After and the code) or what else came."""
    response = await http.post("/graphql", json={"query": QUERY}, headers=headers)
    body: dict[str, Any] = response.json()  # JSON, whatever the status
    if response.status_code == 503 and response.headers.get("retry-after") == "1":
        return "503" if codes(body) == [SERVICE_UNAVAILABLE] else f"503 {codes(body)}"
    if response.status_code == 200:
        found = set(codes(body))
        return "ok" if found <= {SERVICE_UNAVAILABLE} else f"200 {sorted(found)}"
    return f"{response.status_code} {response.text[:200]}"


@pytest.mark.slow
async def test_a_burst_past_the_pools_is_answered_or_refused_as_unavailable(
        stack: Stack, small_server: str, sessionmaker) -> None:
    headers, deployment = await watcher(stack, sessionmaker)

    # when 500 sockets connect and subscribe while 500 queries come in
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=small_server, limits=limits, timeout=120) as http:
        outcomes = await asyncio.gather(
            *(socket_outcome(small_server, headers, deployment) for _ in range(BURST)),
            *(http_outcome(http, headers) for _ in range(BURST)))
    sockets, requests = Counter(outcomes[:BURST]), Counter(outcomes[BURST:])

    # then each socket had its first event or was refused with the code (1013 or an error)
    assert set(sockets) <= {"event", "closed 1013", f"refused: {SERVICE_UNAVAILABLE}"}, sockets
    # and each query was answered or refused with 503, Retry-After and the code
    assert set(requests) <= {"ok", "503"}, requests
    # and the pools were too small indeed: some were refused
    assert sockets["event"] < BURST or requests["ok"] < BURST, (sockets, requests)

    # and afterwards the server serves as before
    assert await until(lambda: ready_is(small_server, 200), "/readyz says 200")
    answer = await post(small_server, QUERY, headers)
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text
