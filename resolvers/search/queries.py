"""Full-text search over chat messages, knowledge documents and system logs, in PostgreSQL.

What matches and how it ranks is the statements' business (resolvers/search/statements.py).
Here: the query cut into words like the indexed text, one statement per requested type, each
scoped with `visible()` (system logs are for superusers only: for anyone else `visible()` is
FALSE and the statement is not even sent) and limited to offset + first + 1 rows; the results
are merged by score. The cursor holds the offset into that ranked list (ranked results have
no stable keyset), so pages can shift if rows are written between requests.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from strawberry import relay

from graphql_schema.chat.types import ChatMessage
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput
from graphql_schema.knowledge.types import KnowledgeDocument
from graphql_schema.relay import TableNode
from graphql_schema.search.types import SearchHit, SearchHitConnection, SearchHitEdge, SearchType
from graphql_schema.system.types import SystemLog
from resolvers.search import statements

DEFAULT_SIZE = 20
MAX_SIZE = 100
CURSOR_PREFIX = "search"

SOURCES: dict[SearchType, tuple[statements.Source, type[TableNode]]] = {
    SearchType.CHAT_MESSAGE: (statements.CHAT, ChatMessage),
    SearchType.KNOWLEDGE_DOCUMENT: (statements.KNOWLEDGE, KnowledgeDocument),
    SearchType.SYSTEM_LOG: (statements.SYSTEM_LOG, SystemLog),
}


def encode_offset(offset: int) -> str:
    return relay.to_base64(CURSOR_PREFIX, offset)


def decode_offset(cursor: str) -> int:
    try:
        prefix, value = relay.from_base64(cursor)
        offset = int(value)
    except (ValueError, TypeError) as exc:
        raise BadUserInput("after is not a search cursor", field="after") from exc
    if prefix != CURSOR_PREFIX or offset < 0:
        raise BadUserInput("after is not a search cursor", field="after")
    return offset


async def search(
    info: Info, query: str, types: list[SearchType] | None, first: int | None,
    after: str | None,
) -> SearchHitConnection:
    size = DEFAULT_SIZE if first is None else first
    if not 0 <= size <= MAX_SIZE:
        raise BadUserInput(f"first must be between 0 and {MAX_SIZE}, got {size}",
                           field="first")
    offset = decode_offset(after) + 1 if after else 0
    text = query.strip()
    wanted = list(SOURCES) if types is None else [t for t in SOURCES if t in types]
    hits: list[tuple[float, str, uuid.UUID, str, type[TableNode]]] = []
    if text and re.search(r"\w", text) and size:
        ctx = info.context
        for kind in wanted:
            source, node_type = SOURCES[kind]
            prepared = statements.prepare(source, text, offset + size + 1, ctx.principal)
            if prepared is None:
                continue  # nothing of this kind is visible to the caller
            rows = await ctx.db.fetch(prepared[0], *prepared[1])
            hits.extend((r["score"], kind.value, r["id"], r["highlight"], node_type)
                        for r in rows)
    hits.sort(key=lambda h: (-h[0], h[1], h[2]))
    page, has_next = hits[offset:offset + size], len(hits) > offset + size
    nodes = await _load(info, [(h[4], h[2]) for h in page])
    edges = [
        SearchHitEdge(cursor=encode_offset(offset + i),
                      node=SearchHit(score=h[0], highlight=h[3], node=node))
        for i, (h, node) in enumerate(zip(page, nodes, strict=True))
    ]
    return SearchHitConnection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next, has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def _load(info: Info, keys: list[tuple[type[TableNode], uuid.UUID]]) -> list[Any]:
    """The hits' objects through the node loaders (one statement per type)."""
    loaders = info.context.loaders
    futures = [loaders.node(node_type).load(key) for node_type, key in keys]
    return [await f for f in futures]
