"""Root fields of the AI-models domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.ai_models import AI_MODELS
from graphql_schema.ai_models.inputs import AiModelFilter, AiModelOrder
from graphql_schema.ai_models.types import AiModel
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class AiModelsQuery:
    @strawberry.field(description="AI models of the organizations you may see.")
    async def models(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: AiModelFilter | None = None, order_by: AiModelOrder | None = None,
    ) -> Connection[AiModel]:
        return await resolve_connection(info, AI_MODELS, AiModel, None,
                                        PageArgs(first, after, last, before), filter, order_by)
