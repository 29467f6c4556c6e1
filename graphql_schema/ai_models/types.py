"""AI models and their versions as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.ai_models import MODEL_VERSIONS_BY_MODEL
from graphql_schema.ai_models.enums import AiModelStatus, ModelVersionStatus
from graphql_schema.ai_models.inputs import ModelVersionFilter, ModelVersionOrder
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, TableNode, resolve_connection
from graphql_schema.scalars import BigInt

if TYPE_CHECKING:
    from graphql_schema.ai_models.usage import (
        ModelUsageLog,
        ModelUsageLogFilter,
        ModelUsageLogOrder,
        PerformanceMetric,
        PerformanceMetricFilter,
        PerformanceMetricOrder,
    )
    from graphql_schema.deployments.inputs import DeploymentFilter, DeploymentOrder
    from graphql_schema.deployments.types import Deployment
    from graphql_schema.experiments.types import Run
    from graphql_schema.identity.types import Organization

IDENTITY = "graphql_schema.identity.types"
USAGE = "graphql_schema.ai_models.usage"
DEPLOYMENTS = "graphql_schema.deployments.types"
DEPLOYMENT_INPUTS = "graphql_schema.deployments.inputs"

EXPERIMENTS = "graphql_schema.experiments.types"


@strawberry.type(description="A model the platform can call, fine-tune or deploy.")
class AiModel(TableNode):
    _table = "ai_models"
    _live_only = True
    _redacted = ("config",)

    id: relay.NodeID[uuid.UUID]
    name: str
    provider: str
    model_type: str
    framework: str | None
    version: str | None
    description: str | None
    config: JSON = strawberry.field(description="Provider settings; secrets are redacted.")
    pricing: JSON
    capabilities: JSON
    status: AiModelStatus
    max_tokens: int | None
    context_window: int | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import Organization

        return await info.context.loaders.node(Organization).load(self.organization_id)

    @strawberry.field(description="Versions of this model.")
    async def versions(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ModelVersionFilter | None = None, order_by: ModelVersionOrder | None = None,
    ) -> Connection[ModelVersion]:
        return await resolve_connection(info, MODEL_VERSIONS_BY_MODEL, ModelVersion, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Calls to this model, newest first by default.")
    async def usage_logs(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[ModelUsageLogFilter, strawberry.lazy(USAGE)] | None = None,
        order_by: Annotated[ModelUsageLogOrder, strawberry.lazy(USAGE)] | None = None,
    ) -> Connection[Annotated[ModelUsageLog, strawberry.lazy(USAGE)]]:
        from db.loaders.ai_models import USAGE_LOGS_BY_MODEL
        from graphql_schema.ai_models.usage import ModelUsageLog

        return await resolve_connection(info, USAGE_LOGS_BY_MODEL, ModelUsageLog, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Measured values of this model, newest first by default.")
    async def performance_metrics(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[PerformanceMetricFilter, strawberry.lazy(USAGE)] | None = None,
        order_by: Annotated[PerformanceMetricOrder, strawberry.lazy(USAGE)] | None = None,
    ) -> Connection[Annotated[PerformanceMetric, strawberry.lazy(USAGE)]]:
        from db.loaders.ai_models import PERFORMANCE_METRICS_BY_MODEL
        from graphql_schema.ai_models.usage import PerformanceMetric

        return await resolve_connection(info, PERFORMANCE_METRICS_BY_MODEL, PerformanceMetric,
                                        self.id, PageArgs(first, after, last, before), filter,
                                        order_by)



@strawberry.type(description="A trained or imported artefact of a model.")
class ModelVersion(TableNode):
    _table = "model_versions"

    id: relay.NodeID[uuid.UUID]
    version: str
    description: str | None
    status: ModelVersionStatus
    storage_location: str | None
    metrics: JSON
    parameters: JSON
    size_bytes: BigInt | None
    is_default: bool
    artifacts: JSON
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    model_id: strawberry.Private[uuid.UUID]
    source_run_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def model(self, info: Info) -> AiModel | None:
        return await info.context.loaders.node(AiModel).load(self.model_id)

    @strawberry.field(description="The training run that produced this version.")
    async def source_run(
        self, info: Info
    ) -> Annotated[Run, strawberry.lazy(EXPERIMENTS)] | None:
        from graphql_schema.experiments.types import Run

        return await info.context.loaders.load(Run, self.source_run_id)

    @strawberry.field(description="Deployments serving this version.")
    async def deployments(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[DeploymentFilter, strawberry.lazy(DEPLOYMENT_INPUTS)] | None = None,
        order_by: Annotated[DeploymentOrder, strawberry.lazy(DEPLOYMENT_INPUTS)] | None = None,
    ) -> Connection[Annotated[Deployment, strawberry.lazy(DEPLOYMENTS)]]:
        from db.loaders.deployments import DEPLOYMENTS_BY_MODEL_VERSION
        from graphql_schema.deployments.types import Deployment

        return await resolve_connection(info, DEPLOYMENTS_BY_MODEL_VERSION, Deployment, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)
