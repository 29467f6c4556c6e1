"""deploymentStatus: a deployment's status changes, for those who may read it.

The subscription joins the Redis channel `deployment:{id}` BEFORE it reads the deployment,
then sends the deployment as it is (a first event with `previousStatus: null`), so no change
committed after that read is missed. Authorized like `node(id:)`: a deployment the caller
cannot read is NOT_FOUND. The stream ends when the deployment is deleted; a subscriber that
falls too far behind is dropped with SUBSCRIBER_DROPPED rather than slowing the others.
Changes are delivered by the channel's shared fan-out on websockets (graphql_schema/fanout.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import strawberry

from graphql_schema.context import Info, Loaders
from graphql_schema.deployments.events import DeploymentStatusChanged
from graphql_schema.deployments.types import Deployment
from graphql_schema.errors import NotFound
from graphql_schema.fanout import END, Step
from graphql_schema.relay import decode_global_id_of
from resolvers.deployments.mutations import DELETED
from resolvers.deployments.status import DEPLOYMENT, PREVIOUS_STATUS
from resolvers.mutations import require_authenticated
from resolvers.system.live import live_events, node_of, published_at, shared
from services.pubsub import deployment_channel


async def deployment_status(
    info: Info, id: strawberry.ID
) -> AsyncGenerator[DeploymentStatusChanged, None]:
    require_authenticated(info)
    deployment_id = decode_global_id_of(id, Deployment, field="id")
    async with live_events(info, deployment_channel(deployment_id)) as events:
        # a socket's loaders live as long as the socket: read the deployment afresh
        current = await Loaders(info.context.db, info.context.principal).node(Deployment).load(
            deployment_id)
        if current is None:
            raise NotFound("id: no such deployment", field="id")
        yield DeploymentStatusChanged(deployment=current, previous_status=None,
                                      published_at=datetime.now(UTC))
        async for changed in events.roots(status_changed):
            yield changed


def status_changed(event: dict[str, Any]) -> Step:
    """The change as subscribers see it (built once per process and event); a deletion ends
    the stream."""
    if event.get(DELETED):
        return END, True
    return shared(event, "DeploymentStatusChanged", lambda: DeploymentStatusChanged(
        deployment=node_of(Deployment, event, DEPLOYMENT),
        previous_status=event[PREVIOUS_STATUS], published_at=published_at(event))), False
