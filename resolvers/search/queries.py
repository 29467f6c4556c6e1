"""Full-text search over chat messages, knowledge documents and system logs, in PostgreSQL.

Matching: a row matches when its generated `search_vector` (english) matches
`websearch_to_tsquery('english', query)`, or its text is word-similar to the query
(`query <% content`, pg_trgm), or contains the query as a substring (ILIKE); all three are
served by GIN indexes (alembic 0004), so partial words ("vecto", "ector") are found too.

Ranking: `ts_rank_cd(search_vector, tsquery) + 0.1 * word_similarity(query, content)`; the
trigram term orders partial-word matches and breaks ties between full-text ones.

Highlight: `ts_headline` (simple parser, so no stemming on the text) with a prefix query made
of the query's english stems and its words that are not stop words: "budgets" marks
"budget", "embedd" marks "embeddings"; a mid-word substring match gives an unmarked excerpt.

Knowledge is searched through its chunks; a document's best chunk stands for it. System logs
are searched by message (alembic 0005), for superusers only: `visible()` is FALSE for anyone
else, and then the statement is not even sent.

One statement per requested type, each scoped with `visible()` and limited to
offset + first + 1 rows; the results are merged by score. The cursor holds the offset into
that ranked list (ranked results have no stable keyset), so pages can shift if rows are
written between requests.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from strawberry import relay

from db.scope import visible
from graphql_schema.chat.types import ChatMessage
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput
from graphql_schema.knowledge.types import KnowledgeDocument
from graphql_schema.relay import TableNode
from graphql_schema.search.types import SearchHit, SearchHitConnection, SearchHitEdge, SearchType
from graphql_schema.system.types import SystemLog

DEFAULT_SIZE = 20
MAX_SIZE = 100
CURSOR_PREFIX = "search"
TRIGRAM_WEIGHT = 0.1
HEADLINE = "StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15"

# $1 query, $2 its words (lowercase), $3 ILIKE pattern; the scope's parameters follow, then
# the limit. HIGHLIGHT is the prefix query ts_headline marks.
HIGHLIGHT = """(SELECT to_tsquery('simple', coalesce(string_agg(quote_literal(l) || ':*', ' | '),
                                             ''))
 FROM (SELECT unnest(tsvector_to_array(to_tsvector('english', $1))) AS l
       UNION SELECT w FROM unnest($2::text[]) w
       WHERE to_tsvector('english', w) <> ''::tsvector) words) h(hq)"""
CHAT_SQL = f"""
SELECT m.id,
       ts_rank_cd(m.search_vector, q) + {TRIGRAM_WEIGHT} * word_similarity($1, m.content)
           AS score,
       ts_headline('simple', m.content, h.hq, '{HEADLINE}') AS highlight
FROM chat_messages m
JOIN chat_sessions s ON s.id = m.session_id AND s.deleted_at IS NULL,
     websearch_to_tsquery('english', $1) q, {HIGHLIGHT}
WHERE (m.search_vector @@ q OR $1 <% m.content OR m.content ILIKE $3) AND {{scope}}
ORDER BY score DESC, m.id
LIMIT {{limit}}
"""

KNOWLEDGE_SQL = f"""
SELECT best.id, best.score, ts_headline('simple', best.content, best.hq, '{HEADLINE}')
           AS highlight
FROM (
    SELECT DISTINCT ON (c.document_id) c.document_id AS id, c.content, h.hq,
           ts_rank_cd(c.search_vector, q) + {TRIGRAM_WEIGHT} * word_similarity($1, c.content)
               AS score
    FROM knowledge_chunks c
    JOIN knowledge_documents d ON d.id = c.document_id AND d.deleted_at IS NULL,
         websearch_to_tsquery('english', $1) q, {HIGHLIGHT}
    WHERE (c.search_vector @@ q OR $1 <% c.content OR c.content ILIKE $3) AND {{scope}}
    ORDER BY c.document_id, score DESC, c.id
) best
ORDER BY best.score DESC, best.id
LIMIT {{limit}}
"""

SYSTEM_LOG_SQL = f"""
SELECT best.id, best.score, ts_headline('simple', best.message, h.hq, '{HEADLINE}') AS highlight
FROM (
    SELECT l.id, l.message,
           ts_rank_cd(l.search_vector, q) + {TRIGRAM_WEIGHT} * word_similarity($1, l.message)
               AS score
    FROM system_logs l, websearch_to_tsquery('english', $1) q
    WHERE (l.search_vector @@ q OR $1 <% l.message OR l.message ILIKE $3) AND {{scope}}
    ORDER BY score DESC, l.id
    LIMIT {{limit}}
) best, {HIGHLIGHT}
ORDER BY best.score DESC, best.id
"""

SOURCES: dict[SearchType, tuple[str, str, type[TableNode]]] = {
    SearchType.CHAT_MESSAGE: (CHAT_SQL, "chat_messages m", ChatMessage),
    SearchType.KNOWLEDGE_DOCUMENT: (KNOWLEDGE_SQL, "knowledge_chunks c", KnowledgeDocument),
    SearchType.SYSTEM_LOG: (SYSTEM_LOG_SQL, "system_logs l", SystemLog),
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


def words(query: str) -> list[str]:
    return re.findall(r"\w+", query.lower())


def like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
            sql, table_alias, node_type = SOURCES[kind]
            table, alias = table_alias.split()
            params: list[object] = [text, words(text), like_pattern(text)]
            scope = visible(table, alias, ctx.principal, params) or "TRUE"
            if scope == "FALSE":
                continue  # nothing of this kind is visible to the caller
            params.append(offset + size + 1)
            rows = await ctx.db.fetch(sql.format(scope=scope, limit=f"${len(params)}"), *params)
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
