"""The SQL of `search`: one statement per kind of object, ranking only what can reach the page.

Matching by words: `search_vector` (alembic 0007) is the `zh_english` tsvector of the text with
its Chinese words set apart (db/search_text.py); the query is cut the same way and read by
`websearch_to_tsquery` ("quoted phrases", `or`, `-word`), so 训练 finds 模型训练出现故障 as a
word while English keeps its stems.

Ranking: `1 + ts_rank_cd(search_vector, query, 1|32)`: cover density (how many of the query's
words, how close together), divided by 1 + log(the text's length in words) so a long text
does not win by length alone, and mapped into (0, 1) by rank / (rank + 1). Only CANDIDATES
matching rows are ranked, taken in the GIN index's order (the table's physical order, oldest
rows mostly first): the cost of a query stays bounded however common its words are, and for a
word in more rows than that the page is the best of those candidates, not of every match
(docs/search.md).

Partial words: only when the words found fewer rows than the page needs, rows that did not
match as words but contain the query (ILIKE: "embedd" in "embeddings", "ectoriz" in
"vectorization") are looked for through the trigram GIN indexes of 0004 and 0005, at most
PARTIAL_CANDIDATES of them, scored by their word similarity to the query, in [0, 1], so they
follow every word match. Not for queries shorter than three characters (no trigram to look
them up by), nor with a quoted phrase or a `-word` (exact words were asked for), nor in
Chinese (cut into words already; a Chinese run is one "word" to pg_trgm). Fuzzy matching by
trigram similarity (`<%`) is not offered: a word sharing common trigrams with many texts
(yodel, model) made it compare the query with thousands of rows.

The two tiers are the branches of a UNION ALL under one LIMIT: PostgreSQL stops before the
second branch when the first filled the page. Highlights are made last, for the page's rows
only: `ts_headline` over the segmented text (not the word parts after it) with a prefix query
of the query's English stems and words (Chinese words exactly), the separators removed.

Parameters: $1 the cut query, $2 its words, $3 how many candidates,
$4 how many rows; for partial words $5 the query as typed, $6 its ILIKE pattern and $7 how
many partial candidates; the scope's follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from db.scope import Principal, visible
from db.search_text import (
    CONFIG,
    PARTS,
    SEPARATOR,
    needs_cutting,
    query_words,
    search_query,
)

CANDIDATES = 500
PARTIAL_CANDIDATES = 100
MIN_SUBSTRING = 3  # shorter substrings have no trigram to find them by
# a quoted phrase or an excluded word asks for exact words: no partial ones then
EXACT = re.compile(r'"|(?:^|\s)-\w')
# ShortWord=0: no word is too short to end a headline (a Chinese character is one word)
HEADLINE = "StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=15, ShortWord=0"
NORMALIZATION = 1 | 32  # divide by 1 + log(length); rank / (rank + 1)
QUERY = f"websearch_to_tsquery('{CONFIG}'::regconfig, $1)"
HIGHLIGHT = f"""(SELECT to_tsquery('simple', coalesce(string_agg(
        quote_literal(l) || CASE WHEN l ~ '^[[:ascii:]]+$' THEN ':*' ELSE '' END, ' | '), ''))
 FROM (SELECT unnest(tsvector_to_array(to_tsvector('{CONFIG}'::regconfig, $1))) AS l
       UNION SELECT w FROM unnest($2::text[]) w
       WHERE to_tsvector('{CONFIG}'::regconfig, w) <> ''::tsvector) words) h(hq)"""


@dataclass(frozen=True, slots=True)
class Source:
    """Where one kind of object is searched: its table (and alias), its text column, the
    join that hides deleted parents, and the key a hit stands for (knowledge: the chunk's
    document, its best chunk standing for it)."""

    table: str
    alias: str
    text: str
    join: str = ""
    key: str = ""

    @property
    def key_column(self) -> str:
        return self.key or f"{self.alias}.id"

    @property
    def grouped(self) -> bool:
        return bool(self.key)


CHAT = Source("chat_messages", "m", "content",
              join="JOIN chat_sessions s ON s.id = m.session_id AND s.deleted_at IS NULL")
KNOWLEDGE = Source("knowledge_chunks", "c", "content",
                   join="JOIN knowledge_documents d ON d.id = c.document_id "
                        "AND d.deleted_at IS NULL",
                   key="c.document_id")
SYSTEM_LOG = Source("system_logs", "l", "message")


def _ranked(source: Source, score: str, where: str, limit: str) -> str:
    """Rows matching `where`, at most `limit` of them in index order, scored; for a grouped
    source, each key's best row."""
    a = source.alias
    rows = (f"SELECT {source.key_column} AS id, {a}.id AS row_id, {score} AS score "
            f"FROM (SELECT {a}.* FROM {source.table} {a} {source.join} "
            f"WHERE {where} LIMIT {limit}) {a}")
    if source.grouped:
        return (f"SELECT DISTINCT ON (id) id, row_id, score FROM ({rows}) r "
                "ORDER BY id, score DESC, row_id")
    return rows


def statement(source: Source, scope: str, *, partial: bool) -> str:
    """The statement for one kind of object: (id, score, highlight), best first, at most
    $4 rows. `scope` is the caller's visibility condition on the source's alias."""
    a, text = source.alias, f"{source.alias}.{source.text}"
    words = _ranked(source, f"1 + ts_rank_cd({a}.search_vector, {QUERY}, {NORMALIZATION})",
                    f"{a}.search_vector @@ {QUERY} AND {scope}", "$3")
    hits = "SELECT * FROM words ORDER BY score DESC, id LIMIT $4"
    if partial:
        seen = (f" AND {source.key_column} NOT IN (SELECT id FROM words)"
                if source.grouped else "")
        partial_rows = _ranked(
            source, f"word_similarity($5, {text})",
            f"{text} ILIKE $6 AND NOT ({a}.search_vector @@ {QUERY}) AND {scope}{seen}", "$7")
        hits = (f"({hits}) UNION ALL (SELECT * FROM ({partial_rows}) p "
                "ORDER BY score DESC, id LIMIT $4) LIMIT $4")
    return f"""
WITH words AS ({words})
SELECT hit.id, hit.score,
       replace(ts_headline('simple', CASE WHEN b.search_text IS NULL THEN b.{source.text}
                                          ELSE split_part(b.search_text, chr({ord(PARTS)}), 1)
                                     END, h.hq, '{HEADLINE}'),
               chr({ord(SEPARATOR)}), '') AS highlight
FROM ({hits}) hit
JOIN {source.table} b ON b.id = hit.row_id, {HIGHLIGHT}
ORDER BY hit.score DESC, hit.id
"""


def like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def prepare(source: Source, query: str, rows: int, principal: Principal, *,
            candidates: int = CANDIDATES) -> tuple[str, list[object]] | None:
    """The statement and its parameters for `rows` best hits of `source`, ranking at most
    `candidates` matches (or `rows`, when more); None when the caller may see nothing of it."""
    params: list[object] = [search_query(query), query_words(query), max(candidates, rows),
                            rows]
    partial = (len(query) >= MIN_SUBSTRING and EXACT.search(query) is None
               and not needs_cutting(query))
    if partial:
        params += [query, like_pattern(query), PARTIAL_CANDIDATES]
    scope = visible(source.table, source.alias, principal, params) or "TRUE"
    if scope == "FALSE":
        return None
    return statement(source, scope, partial=partial), params
