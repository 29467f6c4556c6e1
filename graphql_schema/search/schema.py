"""Root field of full-text search (wiring only; logic lives in resolvers/search)."""

from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.search.types import SearchHitConnection, SearchType
from resolvers.search import queries


@strawberry.type
class SearchQuery:
    @strawberry.field(description="Full-text search by words (PostgreSQL: Chinese cut into "
                                  "words, English stemmed, trigram matching for partial "
                                  "words) over what you may see, best first. `types` defaults "
                                  "to all (SYSTEM_LOG finds something for platform superusers "
                                  "only).")
    async def search(
        self, info: Info, query: str, types: list[SearchType] | None = None,
        first: int | None = None, after: str | None = None,
    ) -> SearchHitConnection:
        return await queries.search(info, query, types, first, after)
