"""Root fields of the AI-models domain (wiring only): AiModelsQuery and AiModelsMutation."""

from __future__ import annotations

import strawberry

from db.loaders.ai_models import AI_MODELS
from graphql_schema.ai_models.enums import MetricBucket
from graphql_schema.ai_models.inputs import (
    AiModelFilter,
    AiModelOrder,
    CreateModelInput,
    CreateModelVersionInput,
    DeleteModelInput,
    PromoteModelVersionInput,
    RemoveModelAlertThresholdInput,
    SetModelAlertThresholdInput,
    UpdateModelInput,
    UpdateModelVersionInput,
)
from graphql_schema.ai_models.payloads import (
    CreateModelPayload,
    CreateModelVersionPayload,
    DeleteModelPayload,
    PromoteModelVersionPayload,
    RemoveModelAlertThresholdPayload,
    SetModelAlertThresholdPayload,
    UpdateModelPayload,
    UpdateModelVersionPayload,
)
from graphql_schema.ai_models.series import PerformanceMetricFilter, PerformanceSeries
from graphql_schema.ai_models.types import AiModel
from graphql_schema.context import Info
from graphql_schema.relations import connection
from resolvers.ai_models import alerts, models, performance, promotion, versions


@strawberry.type
class AiModelsQuery:
    models = connection(
        AI_MODELS, AiModel, AiModelFilter, AiModelOrder,
        description="AI models of the organizations you may see.",
    )

    @strawberry.field(description=(
        "Traffic of all models together over time: an organization's (`organizationId`, for "
        "its members) or, without it, the whole platform's (platform superusers only). The "
        "same series as `AiModel.performanceMetrics`."))
    async def performance_metrics(
        self, info: Info, organization_id: strawberry.ID | None = None,
        filter: PerformanceMetricFilter | None = None,
        bucket: MetricBucket = MetricBucket.MINUTE,  # type: ignore[attr-defined]
    ) -> list[PerformanceSeries]:
        return await performance.performance_metrics(info, organization_id, filter, bucket)


@strawberry.type
class AiModelsMutation:
    @strawberry.mutation(description="Add a model to an organization's catalogue.")
    async def create_model(self, info: Info, input: CreateModelInput) -> CreateModelPayload:
        return await models.create_model(info, input)

    @strawberry.mutation(description="Change a model's fields; absent fields stay as they are.")
    async def update_model(self, info: Info, input: UpdateModelInput) -> UpdateModelPayload:
        return await models.update_model(info, input)

    @strawberry.mutation(description="Soft-delete a model.")
    async def delete_model(self, info: Info, input: DeleteModelInput) -> DeleteModelPayload:
        return await models.delete_model(info, input)

    @strawberry.mutation(description="Add a draft version to a model.")
    async def create_model_version(self, info: Info, input: CreateModelVersionInput
                                   ) -> CreateModelVersionPayload:
        return await versions.create_model_version(info, input)

    @strawberry.mutation(description="Change a version's description, metrics or artefacts.")
    async def update_model_version(self, info: Info, input: UpdateModelVersionInput
                                   ) -> UpdateModelVersionPayload:
        return await versions.update_model_version(info, input)

    @strawberry.mutation(description="Move a version along draft → staging → production, or "
                                     "archive it.")
    async def promote_model_version(self, info: Info, input: PromoteModelVersionInput
                                    ) -> PromoteModelVersionPayload:
        return await promotion.promote_model_version(info, input)

    @strawberry.mutation(description="Set a bound on one of a model's per-minute metrics whose "
                                     "crossing notifies the model's owner.")
    async def set_model_alert_threshold(self, info: Info, input: SetModelAlertThresholdInput
                                        ) -> SetModelAlertThresholdPayload:
        return await alerts.set_model_alert_threshold(info, input)

    @strawberry.mutation(description="Remove one of a model's alert thresholds.")
    async def remove_model_alert_threshold(self, info: Info,
                                           input: RemoveModelAlertThresholdInput
                                           ) -> RemoveModelAlertThresholdPayload:
        return await alerts.remove_model_alert_threshold(info, input)
