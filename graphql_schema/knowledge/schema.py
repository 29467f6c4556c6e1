"""Root fields of the knowledge domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.knowledge import KNOWLEDGE_COLLECTIONS
from graphql_schema.context import Info
from graphql_schema.knowledge.inputs import KnowledgeCollectionFilter, KnowledgeCollectionOrder
from graphql_schema.knowledge.types import KnowledgeCollection
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class KnowledgeQuery:
    @strawberry.field(description="Knowledge collections of the organizations you may see.")
    async def knowledge_collections(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: KnowledgeCollectionFilter | None = None,
        order_by: KnowledgeCollectionOrder | None = None,
    ) -> Connection[KnowledgeCollection]:
        return await resolve_connection(info, KNOWLEDGE_COLLECTIONS, KnowledgeCollection, None,
                                        PageArgs(first, after, last, before), filter, order_by)
