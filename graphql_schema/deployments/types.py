"""Deployments, applications and their components as Relay nodes; relation fields only call
loaders."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.deployment_metrics import recent_usage
from db.loaders.deployments import COMPONENTS_BY_APPLICATION, DEPLOYMENTS_BY_APPLICATION
from graphql_schema.context import Info
from graphql_schema.deployments.enums import ApplicationStatus, DeploymentStatus
from graphql_schema.deployments.inputs import (
    ApplicationComponentFilter,
    ApplicationComponentOrder,
    DeploymentFilter,
    DeploymentOrder,
)
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode

IDENTITY = "graphql_schema.identity.types"
AI_MODELS = "graphql_schema.ai_models.types"


@strawberry.type(description="A model version or an application served at an endpoint.")
class Deployment(TableNode):
    _table = "deployments"
    _redacted = ("configuration",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    service_type: str
    environment: str
    version: str | None
    endpoint_url: str | None
    status: DeploymentStatus
    replicas: int
    resource_allocation: JSON
    autoscaling_config: JSON
    traffic_percentage: float = strawberry.field(
        description="Share of the traffic (0 to 100) this deployment receives.")
    configuration: JSON = strawberry.field(description="Serving settings; secrets are redacted.")
    metrics: strawberry.Private[dict]  # stored figures (a serving stack's), under the live ones
    deployed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    model_version_id: strawberry.Private[uuid.UUID | None]
    application_id: strawberry.Private[uuid.UUID | None]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    @strawberry.field(name="metrics", description=(
        "Live figures from the gateway's calls of the last 5 minutes: `requests`, `errors`, "
        "`requestsPerMinute`, `errorRate` (0 to 1), `latencyMs` {avg, p50, p95}, `tokens`, "
        "`windowSeconds`; over any stored figures."))
    async def live_metrics(self, info: Info) -> JSON:
        live = await info.context.loaders.batch(recent_usage).load(self.id)
        return {**(self.metrics or {}), **live}

    model_version = to_one(
        lazy("ModelVersion", AI_MODELS), "model_version_id",
        description="The model version served; null for an application.",
    )

    application = to_one(
        lazy("Application", __name__), "application_id",
        description="The application served; null for a model version.",
    )


@strawberry.type(description="A service assembled from components (models, knowledge, data).")
class Application(TableNode):
    _table = "applications"
    _redacted = ("configuration",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    application_type: str
    status: ApplicationStatus
    configuration: JSON = strawberry.field(description="Settings; secrets are redacted.")
    version: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    components = connection(
        COMPONENTS_BY_APPLICATION, lazy("ApplicationComponent", __name__),
        ApplicationComponentFilter, ApplicationComponentOrder,
        description="Building blocks of this application, in their order.",
    )

    deployments = connection(
        DEPLOYMENTS_BY_APPLICATION, Deployment, DeploymentFilter, DeploymentOrder,
        description="Deployments serving this application.",
    )


@strawberry.type(description="One building block of an application; `componentType` says what "
                             "`componentId` names.")
class ApplicationComponent(TableNode):
    _table = "application_components"
    _redacted = ("configuration",)

    id: relay.NodeID[uuid.UUID]
    component_type: str
    component_id: uuid.UUID | None = strawberry.field(
        description="The raw id of the row `componentType` implies.")
    name: str | None
    configuration: JSON = strawberry.field(description="Settings; secrets are redacted.")
    order_index: int
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    application_id: strawberry.Private[uuid.UUID]

    application = to_one(Application, "application_id")

    @strawberry.field(description="The deployment, when this component is one.")
    async def deployment(self, info: Info) -> Deployment | None:
        if self.component_type != "deployment" or self.component_id is None:
            return None
        return await info.context.loaders.node(Deployment).load(self.component_id)
