"""AI models and their versions as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.ai_models import (
    ALERT_THRESHOLDS_BY_MODEL,
    MODEL_VERSIONS_BY_MODEL,
    USAGE_LOGS_BY_MODEL,
)
from db.loaders.deployments import DEPLOYMENTS_BY_MODEL_VERSION
from db.loaders.performance import series_by_model
from graphql_schema.ai_models.enums import AiModelStatus, MetricBucket, ModelVersionStatus
from graphql_schema.ai_models.inputs import ModelVersionFilter, ModelVersionOrder
from graphql_schema.ai_models.series import (
    PerformanceMetricFilter,
    PerformanceSeries,
    as_series,
    series_query,
)
from graphql_schema.context import Info
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode
from graphql_schema.scalars import BigInt

IDENTITY = "graphql_schema.identity.types"
USAGE = "graphql_schema.ai_models.usage"
ALERTS = "graphql_schema.ai_models.alerts"
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

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    versions = connection(
        MODEL_VERSIONS_BY_MODEL, lazy("ModelVersion", __name__), ModelVersionFilter,
        ModelVersionOrder,
        description="Versions of this model.",
    )

    usage_logs = connection(
        USAGE_LOGS_BY_MODEL, lazy("ModelUsageLog", USAGE), lazy("ModelUsageLogFilter", USAGE),
        lazy("ModelUsageLogOrder", USAGE),
        description="Calls to this model, newest first by default.",
    )

    @strawberry.field(description=(
        "This model's traffic over time from the per-minute roll-up of its usage: one series "
        "per metric (or the one `filter.metricName` names), in buckets of `bucket`, of the "
        "whole model or of the version `filter.modelVersionId` names."))
    async def performance_metrics(
        self, info: Info, filter: PerformanceMetricFilter | None = None,
        bucket: MetricBucket = MetricBucket.MINUTE,  # type: ignore[attr-defined]
    ) -> list[PerformanceSeries]:
        query = series_query(filter, bucket)
        return as_series(await info.context.loaders.batch(series_by_model).load(
            (query, self.id)))

    alert_thresholds = connection(
        ALERT_THRESHOLDS_BY_MODEL, lazy("ModelAlertThreshold", ALERTS),
        lazy("ModelAlertThresholdFilter", ALERTS), lazy("ModelAlertThresholdOrder", ALERTS),
        description="Thresholds whose crossing notifies this model's owner.",
    )


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

    model = to_one(AiModel, "model_id")

    source_run = to_one(
        lazy("Run", EXPERIMENTS), "source_run_id",
        description="The training run that produced this version.",
    )

    deployments = connection(
        DEPLOYMENTS_BY_MODEL_VERSION, lazy("Deployment", DEPLOYMENTS),
        lazy("DeploymentFilter", DEPLOYMENT_INPUTS), lazy("DeploymentOrder", DEPLOYMENT_INPUTS),
        description="Deployments serving this version.",
    )
