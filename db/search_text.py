"""Text as the search index reads it: Chinese cut into words, everything else left as written.

PostgreSQL's text-search parser splits words at spaces and punctuation, which Chinese does not
have: a whole sentence would be one "word". So Chinese runs are segmented here, in Python,
with rjieba (jieba-rs, its dictionary inside the package), and the words are kept apart by
SEPARATOR, a control character the parser reads as a blank and that no real text carries.
Removing the separators gives back the text exactly, which is why a highlight can be made on
the segmented text and shown without them. The precise cut keeps dictionary words whole
(今天天气, 电源模块), so the shorter words inside them (天气, 电源) follow the text after PARTS:
indexed, so that they are found, and never shown.

`search_text()` is what the rows' `search_text` columns hold (None when there is nothing to
cut, and the index reads the text itself); `search_query()` cuts a search query the same way,
keeping the websearch syntax (quotes, `or`, `-word`) around the words.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import rjieba
from sqlalchemy import Computed, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import MappedColumn, mapped_column

SEPARATOR = "\x1f"  # the unit separator: a blank to the parser, absent from real text
PARTS = "\x1e"  # the record separator: what follows it is indexed, never shown
# The configuration both sides use (alembic 0007): `english`, except that words of non-ASCII
# letters (Chinese words) go through the `simple` dictionary, unstemmed.
CONFIG = "zh_english"

# Runs to cut: CJK ideographs (with their extensions and compatibility forms), kana, and the
# punctuation written between them (CJK and full-width symbols, curly quotes, dashes). Under
# a C character type the parser counts every non-ASCII character as a letter, so these must
# be set apart even where no word boundary is in question.
_RUN = re.compile(
    "[\u2010-\u206f\u2e80-\u2fdf\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f]+"
)
_WORD = re.compile(r"\w", re.UNICODE)


def needs_cutting(value: str) -> bool:
    """Whether `value` holds Chinese (or the punctuation written with it) to cut."""
    return _RUN.search(value) is not None


def _cut(run: str) -> list[str]:
    return rjieba.cut(run, True)


def _parts(word: str) -> list[str]:
    """The dictionary words inside a longer one (天气 in 今天天气), which the precise cut
    leaves whole; they are indexed too, so a query for them finds it."""
    if len(word) < 3:
        return []
    return [part for part in rjieba.cut_for_search(word, True) if part != word]


def search_text(value: str | None) -> str | None:
    """`value` with its Chinese words set apart by SEPARATOR, then, after PARTS, the shorter
    words found inside its long ones; None when there is nothing to cut."""
    if not value or not needs_cutting(value):
        return None
    pieces: list[str] = []
    parts: list[str] = []
    end = 0
    for match in _RUN.finditer(value):
        words = _cut(match.group())
        pieces.append(value[end:match.start()])
        pieces.append(SEPARATOR + SEPARATOR.join(words) + SEPARATOR)
        parts.extend(part for word in words for part in _parts(word))
        end = match.end()
    pieces.append(value[end:])
    return "".join(pieces) + (PARTS + SEPARATOR.join(parts) if parts else "")


def search_query(query: str) -> str:
    """A query with its Chinese runs cut into words: `"模型训练" -故障` becomes
    `"模型 训练" -故障`, so websearch_to_tsquery reads a phrase of two words and a negated
    one. Punctuation inside a run is dropped (it is no word to look for)."""
    def words(match: re.Match[str]) -> str:
        kept = " ".join(w for w in _cut(match.group()) if _WORD.search(w)) or " "
        before, after = query[match.start() - 1:match.start()], query[match.end():match.end() + 1]
        # apart from a word it touches ("GPU训练"), but still after a "-" or a quote
        return (" " if _WORD.match(before) else "") + kept + (" " if _WORD.match(after) else "")
    return _RUN.sub(words, query)


def query_words(query: str) -> list[str]:
    """The words of a query, lowercase, Chinese ones cut: what a highlight may mark."""
    return re.findall(r"\w+", search_query(query).lower())


def search_text_column() -> MappedColumn[Any]:
    """A row's `search_text`: set with its text (the models' validators), read by search."""
    return mapped_column(Text, deferred=True)


def search_vector_column(text_column: str) -> MappedColumn[Any]:
    """A row's `search_vector`, generated from the segmented text, else the text itself
    (alembic 0007); for search only (resolvers/search)."""
    return mapped_column(TSVECTOR, Computed(
        f"to_tsvector('{CONFIG}'::regconfig, COALESCE(search_text, {text_column}, ''::text))",
        persisted=True), deferred=True)


CHUNK_WORDS_SQL = text(
    "UPDATE knowledge_chunks c SET search_text = v.words "
    "FROM unnest(CAST(:positions AS int[]), CAST(:words AS text[])) v(position, words) "
    "WHERE c.document_id = :document AND c.position = v.position")


async def store_chunk_words(session: AsyncSession, document_id: uuid.UUID,
                            chunks: list[tuple[int, str]]) -> None:
    """search_text for a document's chunks (position, content) just written by a vector store
    that keeps them in `knowledge_chunks`; the stores write the text alone."""
    cut = [(position, search_text(content)) for position, content in chunks]
    cut = [(position, words) for position, words in cut if words is not None]
    if cut:
        await session.execute(CHUNK_WORDS_SQL, {
            "document": document_id, "positions": [c[0] for c in cut],
            "words": [c[1] for c in cut]})
