"""deploymentStatus end to end: a real server process, websocket clients of both protocols,
a status change over HTTP, and Redis checked for what the server holds afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.relay import to_base64

from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.deployments import make_deployment
from tests.factories.identity import make_membership, make_organization, make_user
from tests.system.live_server import (
    LEGACY_WS,
    TRANSPORT_WS,
    connected,
    numsub,
    numsub_becomes,
    post,
)

SUBSCRIBE = """subscription ($id: ID!) {
  deploymentStatus(id: $id) {
    __typename previousStatus publishedAt deployment { name status replicas }
  }
}"""
STATUS = """mutation ($input: UpdateDeploymentStatusInput!) {
  updateDeploymentStatus(input: $input) { deployment { status } userErrors { code } } }"""
DELETE = """mutation ($input: DeleteDeploymentInput!) {
  deleteDeployment(input: $input) { deletedDeploymentId userErrors { code } } }"""


@dataclass
class Live:
    deployment_id: str
    channel: str
    tokens: dict[str, str]


@pytest.fixture
async def live(app, session) -> Live:
    """A pending deployment of acme; acme's admin and viewer, and an owner of another
    organization (the outsider)."""
    acme, other = await make_organization(session), await make_organization(session)
    version = await make_model_version(session, model=await make_model(session, organization=acme))
    users = {role: await make_user(session, username=role)
             for role in ("admin", "viewer", "outsider")}
    await make_membership(session, organization=acme, user=users["admin"], role="admin")
    await make_membership(session, organization=acme, user=users["viewer"], role="viewer")
    await make_membership(session, organization=other, user=users["outsider"], role="owner")
    deployment = await make_deployment(session, model_version=version, name="chat-api",
                                       created_by=users["admin"])
    tokens = {role: (await bearer_headers(app, session, user))["authorization"]
              for role, user in users.items()}
    return Live(to_base64("Deployment", deployment.id), f"deployment:{deployment.id}", tokens)


def event(status: str, previous: str | None) -> dict[str, Any]:
    return {"__typename": "DeploymentStatusChanged", "previousStatus": previous,
            "deployment": {"name": "chat-api", "status": status, "replicas": 1}}


def without_time(payload: dict[str, Any]) -> dict[str, Any]:
    changed = payload["data"]["deploymentStatus"]
    assert changed.pop("publishedAt").endswith("+00:00")
    return changed


async def change_status(server, live: Live, status: str) -> dict[str, Any]:
    body = await post(server, STATUS, {"input": {"deploymentId": live.deployment_id,
                                                 "status": status}}, live.tokens["admin"])
    return body["data"]["updateDeploymentStatus"]


async def test_both_protocols_receive_a_change_and_leave_no_redis_subscription(
    server, live, redis
) -> None:
    # given a viewer on graphql-transport-ws and the admin on graphql-ws, both subscribed
    async with connected(server, TRANSPORT_WS, live.tokens["viewer"]) as modern, \
            connected(server, LEGACY_WS, live.tokens["admin"]) as legacy:
        for socket in (modern, legacy):
            await socket.subscribe(SUBSCRIBE, {"id": live.deployment_id})
        first = [without_time(await s.next()) for s in (modern, legacy)]
        # then the server process holds ONE Redis subscription for the two of them
        subscribed = await numsub(redis, live.channel)

        # when the status changes over HTTP
        changed = await change_status(server, live, "DEPLOYING")
        second = [without_time(await s.next()) for s in (modern, legacy)]

    # then both saw the deployment as it was, then the change
    assert changed == {"deployment": {"status": "DEPLOYING"}, "userErrors": []}
    assert first == [event("PENDING", None)] * 2
    assert second == [event("DEPLOYING", "PENDING")] * 2
    assert subscribed == 1
    # and once both sockets are closed, nothing is left subscribed
    assert await numsub_becomes(redis, live.channel, 0) == 0


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_unsubscribing_on_an_open_socket_releases_the_channel(
    server, live, redis, protocol
) -> None:
    async with connected(server, protocol, live.tokens["admin"]) as socket:
        await socket.subscribe(SUBSCRIBE, {"id": live.deployment_id})
        await socket.next()
        subscribed = await numsub(redis, live.channel)

        await socket.unsubscribe()
        released = await numsub_becomes(redis, live.channel, 0)

    assert (subscribed, released) == (1, 0)


def refused(code: str, message: str) -> list[dict[str, Any]]:
    """A refused subscription: one result carrying the error, then the end of the stream."""
    return [{"id": "1", "type": "next", "payload": {"data": None, "errors": [
        {"message": message, "extensions": {"code": code, "field": "id"}}]}},
            {"id": "1", "type": "complete"}]


async def test_an_outsider_gets_not_found_and_no_events(server, live, redis) -> None:
    async with connected(server, TRANSPORT_WS, live.tokens["outsider"]) as outsider:
        await outsider.subscribe(SUBSCRIBE, {"id": live.deployment_id})
        refusal = [await outsider.receive(), await outsider.receive()]
        await change_status(server, live, "DEPLOYING")
        quiet = await outsider.nothing_pending()

    assert refusal == refused("NOT_FOUND", "id: no such deployment")
    assert quiet
    assert await numsub_becomes(redis, live.channel, 0) == 0


async def test_an_anonymous_socket_must_log_in(server, live) -> None:
    async with connected(server, LEGACY_WS, None) as anonymous:
        await anonymous.subscribe(SUBSCRIBE, {"id": live.deployment_id})
        refusal = await anonymous.receive()

    assert refusal["type"] == "data"
    assert [e["extensions"]["code"] for e in refusal["payload"]["errors"]] == ["UNAUTHENTICATED"]


async def test_deleting_the_deployment_ends_the_stream(server, live, redis) -> None:
    await change_status(server, live, "FAILED")
    async with connected(server, TRANSPORT_WS, live.tokens["viewer"]) as socket:
        await socket.subscribe(SUBSCRIBE, {"id": live.deployment_id})
        first = without_time(await socket.next())

        deleted = await post(server, DELETE, {"input": {"id": live.deployment_id}},
                             live.tokens["admin"])
        end = await socket.receive()

    assert first == event("FAILED", None)
    assert deleted["data"]["deleteDeployment"]["userErrors"] == []
    assert end == {"type": "complete", "id": "1"}
    assert await numsub_becomes(redis, live.channel, 0) == 0
