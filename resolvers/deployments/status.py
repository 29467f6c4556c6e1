"""updateDeploymentStatus: the status machine, and the events a change publishes.

    pending → deploying → running → stopped → deploying ...;  any status → failed

After the commit the change is published on `deployment:{id}` (deploymentStatus); a deployment
that fails also notifies its creator, while they are still a member of its organization (a
notifications row written in the same transaction, published on `notifications:{user_id}`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Deployment, Membership
from graphql_schema.context import Info
from graphql_schema.deployments import types
from graphql_schema.deployments.inputs import UpdateDeploymentStatusInput
from graphql_schema.deployments.payloads import (
    DeploymentErrorCode,
    UpdateDeploymentStatusPayload,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.deployments.mutations import locked_deployment, payload_node
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require_authenticated,
    write,
)
from resolvers.system.live import node_record, publish
from resolvers.system.notifications import add_notification, publish_notification
from services.pubsub import deployment_channel

FAILED, RUNNING = "failed", "running"
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"deploying"}),
    "deploying": frozenset({"running"}),
    "running": frozenset({"stopped"}),
    "stopped": frozenset({"deploying"}),
}
REASON_MAX = 2000
DEPLOYMENT, PREVIOUS_STATUS = "deployment", "previous_status"


def can_become(old: str, new: str) -> bool:
    return new != old and (new == FAILED or new in TRANSITIONS.get(old, frozenset()))


async def update_deployment_status(
    info: Info, input: UpdateDeploymentStatusInput
) -> UpdateDeploymentStatusPayload:
    require_authenticated(info)
    deployment_id = decode_global_id_of(input.deployment_id, types.Deployment,
                                        field="deploymentId")
    new = input.status.value

    async def body() -> UpdateDeploymentStatusPayload:
        notification: dict[str, Any] | None = None
        async with write(info) as tx:
            row = await locked_deployment(info, tx.session, deployment_id)
            old = row.status
            problems = []
            if not can_become(old, new):
                problems.append(Problem("status", f"A {old} deployment cannot become {new}",
                                        DeploymentErrorCode.INVALID_TRANSITION))
            if input.reason is not None and len(input.reason) > REASON_MAX:
                problems.append(Problem("reason", f"reason: at most {REASON_MAX} characters",
                                        DeploymentErrorCode.INVALID))
            if problems:
                raise InvalidInput(problems)
            row.status = new
            if new == RUNNING:
                row.deployed_at = datetime.now(UTC)
            await tx.session.flush()
            if new == FAILED:
                notification = await _notify_creator(tx.session, row, old, input.reason)
            await tx.audit("deployment.status", resource_type="Deployment", resource_id=row.id,
                           organization_id=row.organization_id, old={"status": old},
                           new={"status": new, "reason": input.reason})
        node = await payload_node(info, deployment_id)
        await publish(info, deployment_channel(deployment_id),
                      {DEPLOYMENT: node_record(node), PREVIOUS_STATUS: old})
        if notification is not None:
            await publish_notification(info, notification)
        return UpdateDeploymentStatusPayload(deployment=node)

    return await mutation_payload(body, lambda e: UpdateDeploymentStatusPayload(user_errors=e))


async def _notify_creator(session: AsyncSession, row: Deployment, old: str,
                          reason: str | None) -> dict[str, Any] | None:
    """The creator's notification (its event, to publish after the commit), or None when
    there is no creator or they left the organization."""
    if row.created_by is None:
        return None
    member = await session.scalar(select(Membership.id).where(
        Membership.organization_id == row.organization_id,
        Membership.user_id == row.created_by))
    if member is None:
        return None
    return await add_notification(
        session, user_id=row.created_by, organization_id=row.organization_id,
        kind="deployment_failed", title=f"Deployment {row.name} failed", body=reason,
        data={"deploymentId": relay.to_base64("Deployment", row.id), "previousStatus": old})
