"""Events of the deployments domain, as subscriptions deliver them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_schema.deployments.enums import DeploymentStatus
from graphql_schema.deployments.types import Deployment


@strawberry.type(description="A deployment's status changed (published after the commit); "
                             "also the first event of every subscription, with the deployment "
                             "as it is then.")
class DeploymentStatusChanged:
    deployment: Deployment = strawberry.field(description="The deployment as committed.")
    previous_status: DeploymentStatus | None = strawberry.field(
        description="Null on the first event of a subscription.")
    published_at: datetime = strawberry.field(
        description="When the server published the change; compare with your clock for the "
                    "delivery delay.")
