"""updateDeploymentStatus: the status machine, its audit rows, and what a change publishes
after its commit (the deployment's channel; the creator's notifications when it failed)."""

from __future__ import annotations

import asyncio

import pytest
from strawberry.relay import from_base64

from tests.conftest import bearer_headers
from tests.deployments.test_mutations import audit_rows, counts, deployment_of, run
from tests.factories.identity import make_membership, make_user
from tests.graphql import gql

STATUS = """mutation ($input: UpdateDeploymentStatusInput!) {
  updateDeploymentStatus(input: $input) {
    deployment { status deployedAt } userErrors { field message code } } }"""


@pytest.mark.parametrize(("old", "new"), [
    ("pending", "DEPLOYING"), ("deploying", "RUNNING"), ("running", "STOPPED"),
    ("stopped", "DEPLOYING"), ("pending", "FAILED"), ("deploying", "FAILED"),
    ("running", "FAILED"), ("stopped", "FAILED"),
])
async def test_allowed_transitions(client, db, session, acme, old, new) -> None:
    deployment_id = await deployment_of(session, acme, status=old)

    body = await run(client, acme, STATUS, {"deploymentId": deployment_id, "status": new})

    payload = body["data"]["updateDeploymentStatus"]
    assert payload["userErrors"] == []
    assert payload["deployment"]["status"] == new
    assert (payload["deployment"]["deployedAt"] is not None) == (new == "RUNNING")
    [(action, _, old_values, new_values)] = await audit_rows(db)
    assert (action, old_values, new_values) == (
        "deployment.status", {"status": old}, {"status": new.lower(), "reason": None})


@pytest.mark.parametrize(("old", "new"), [
    ("pending", "RUNNING"), ("pending", "STOPPED"), ("pending", "PENDING"),
    ("deploying", "STOPPED"), ("deploying", "PENDING"), ("running", "DEPLOYING"),
    ("running", "PENDING"), ("stopped", "RUNNING"), ("failed", "DEPLOYING"),
    ("failed", "FAILED"), ("failed", "RUNNING"),
])
async def test_other_transitions_are_invalid_and_change_nothing(
    client, db, session, acme, old, new
) -> None:
    deployment_id = await deployment_of(session, acme, status=old)
    before = await counts(db)

    body = await run(client, acme, STATUS, {"deploymentId": deployment_id, "status": new})

    assert body["data"]["updateDeploymentStatus"] == {"deployment": None, "userErrors": [{
        "field": ["input", "status"],
        "message": f"A {old} deployment cannot become {new.lower()}",
        "code": "INVALID_TRANSITION"}]}
    assert (await db.fetch("SELECT status FROM deployments"))[0][0] == old
    assert await counts(db) == before


async def test_a_status_change_is_published_after_the_commit(client, app, session, acme) -> None:
    deployment_id = await deployment_of(session, acme, status="pending", name="live")
    channel = f"deployment:{from_base64(deployment_id)[1]}"
    async with app.state.pubsub.subscribe(channel) as events:
        await run(client, acme, STATUS, {"deploymentId": deployment_id, "status": "DEPLOYING"})
        event = await asyncio.wait_for(anext(events), timeout=10)

    assert event["previous_status"] == "pending"
    assert event["deployment"]["status"] == "deploying"
    assert event["deployment"]["name"] == "live"
    assert set(event) == {"deployment", "previous_status", "published_at"}


async def test_a_failed_deployment_notifies_its_creator(client, app, db, session, acme) -> None:
    deployment_id = await deployment_of(session, acme, status="running", name="chat-api")

    async with app.state.pubsub.subscribe(f"notifications:{acme.admin.id}") as inbox:
        body = await run(client, acme, STATUS, {"deploymentId": deployment_id,
                                                "status": "FAILED", "reason": "OOM killed"})
        event = await asyncio.wait_for(anext(inbox), timeout=10)

    assert body["data"]["updateDeploymentStatus"]["deployment"]["status"] == "FAILED"
    rows = await db.fetch("SELECT user_id, organization_id, kind, title, body, data, read_at "
                          "FROM notifications")
    assert [tuple(r) for r in rows] == [(
        acme.admin.id, acme.org.id, "deployment_failed", "Deployment chat-api failed",
        "OOM killed", {"deploymentId": deployment_id, "previousStatus": "running"}, None)]
    assert event["notification"]["title"] == "Deployment chat-api failed"
    assert event["notification"]["user_id"] == str(acme.admin.id)


async def test_a_creator_who_left_the_organization_is_not_notified(
    client, app, db, session, acme
) -> None:
    deployment_id = await deployment_of(session, acme, status="running")
    await db.fetch("DELETE FROM memberships WHERE user_id = $1", acme.admin.id)
    second_admin = await make_user(session, username="admin2")
    await make_membership(session, organization=acme.org, user=second_admin, role="admin")
    headers = await bearer_headers(app, session, second_admin)

    body = await gql(client, STATUS, {"input": {"deploymentId": deployment_id,
                                                "status": "FAILED"}}, headers=headers)

    assert body["data"]["updateDeploymentStatus"]["userErrors"] == []
    assert (await counts(db))["notifications"] == 0


