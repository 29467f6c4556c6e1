"""Root fields of the AI-models domain (wiring only): AiModelsQuery and AiModelsMutation."""

from __future__ import annotations

import strawberry

from db.loaders.ai_models import AI_MODELS
from graphql_schema.ai_models.inputs import (
    AiModelFilter,
    AiModelOrder,
    CreateModelInput,
    CreateModelVersionInput,
    DeleteModelInput,
    PromoteModelVersionInput,
    UpdateModelInput,
    UpdateModelVersionInput,
)
from graphql_schema.ai_models.payloads import (
    CreateModelPayload,
    CreateModelVersionPayload,
    DeleteModelPayload,
    PromoteModelVersionPayload,
    UpdateModelPayload,
    UpdateModelVersionPayload,
)
from graphql_schema.ai_models.types import AiModel
from graphql_schema.context import Info
from graphql_schema.relations import connection
from resolvers.ai_models import models, promotion, versions


@strawberry.type
class AiModelsQuery:
    models = connection(
        AI_MODELS, AiModel, AiModelFilter, AiModelOrder,
        description="AI models of the organizations you may see.",
    )


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
