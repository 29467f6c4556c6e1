"""The `notifications` subscription end to end: a deployment that fails notifies its creator's
open sockets (both protocols), and nobody else's."""

from __future__ import annotations

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
    numsub_becomes,
    post,
)

NOTIFICATIONS = """subscription {
  notifications { __typename notification { kind title body data readAt user { username } } }
}"""
FAIL = """mutation ($input: UpdateDeploymentStatusInput!) {
  updateDeploymentStatus(input: $input) { deployment { status } userErrors { code } } }"""


@pytest.fixture
async def team(app, session) -> dict:
    """A running deployment created by ada; bob, another admin, is the one who marks it failed."""
    org = await make_organization(session)
    ada, bob = await make_user(session, username="ada"), await make_user(session, username="bob")
    for user in (ada, bob):
        await make_membership(session, organization=org, user=user, role="admin")
    version = await make_model_version(session, model=await make_model(session, organization=org))
    deployment = await make_deployment(session, model_version=version, name="chat-api",
                                       status="running", created_by=ada)
    return {"ada": ada, "deployment_id": to_base64("Deployment", deployment.id),
            "tokens": {name: (await bearer_headers(app, session, user))["authorization"]
                       for name, user in (("ada", ada), ("bob", bob))}}


async def test_the_creator_is_notified_on_every_socket_and_no_one_else(
    server, team, redis
) -> None:
    async with connected(server, TRANSPORT_WS, team["tokens"]["ada"]) as modern, \
            connected(server, LEGACY_WS, team["tokens"]["ada"]) as legacy, \
            connected(server, TRANSPORT_WS, team["tokens"]["bob"]) as bob:
        for socket in (modern, legacy, bob):
            await socket.subscribe(NOTIFICATIONS, {})
        channel = f"notifications:{team['ada'].id}"
        await numsub_becomes(redis, channel, 1)  # both of ada's sockets share one subscription

        body = await post(server, FAIL, {"input": {"deploymentId": team["deployment_id"],
                                                   "status": "FAILED", "reason": "OOM"}},
                          team["tokens"]["bob"])
        received = [(await s.next())["data"]["notifications"] for s in (modern, legacy)]
        bob_quiet = await bob.nothing_pending()

    assert body["data"]["updateDeploymentStatus"] == {"deployment": {"status": "FAILED"},
                                                      "userErrors": []}
    assert received == [{"__typename": "NotificationReceived", "notification": {
        "kind": "deployment_failed", "title": "Deployment chat-api failed", "body": "OOM",
        "data": {"deploymentId": team["deployment_id"], "previousStatus": "running"},
        "readAt": None, "user": {"username": "ada"}}}] * 2
    assert bob_quiet
    assert await numsub_becomes(redis, channel, 0) == 0


async def test_an_anonymous_socket_gets_unauthenticated(server) -> None:
    async with connected(server, TRANSPORT_WS, None) as anonymous:
        await anonymous.subscribe(NOTIFICATIONS, {})
        refusal = [await anonymous.receive(), await anonymous.receive()]

    assert refusal[0]["type"] == "next"
    assert [e["extensions"]["code"] for e in refusal[0]["payload"]["errors"]] == [
        "UNAUTHENTICATED"]
    assert refusal[1] == {"id": "1", "type": "complete"}
