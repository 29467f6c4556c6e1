"""A knowledge document's metadata (seed 002's fields) and the language detected at ingestion.

Known keys: `source, type, category, author, version, language` (strings) and `tags` (a list of
strings); other keys may hold a string, a number or a boolean, or a list of strings. Every
chunk carries its document's metadata into the vector store, so `ragQuery`'s filter is applied
by the store while it searches.

The language, unless given, comes from a CJK-ratio rule, offline and without a model: `zh`
when Han characters are at least a third as many as Latin letters (a Chinese character is
about a word, an English word about five letters, so that is when Chinese words are at least
about as many as English ones; Chinese text quoting `CAN`, `BMS` or `OTA` stays `zh`), `en`
when there are Latin letters, else none.
"""

from __future__ import annotations

import re
from typing import Any

TEXT_FIELDS = ("source", "type", "category", "author", "version", "language")
TAGS = "tags"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
SAMPLE = 20_000  # characters looked at: the start of a long document decides


def detect_language(text: str) -> str | None:
    sample = text[:SAMPLE]
    han, latin = len(HAN.findall(sample)), len(LATIN.findall(sample))
    if han and han * 3 >= latin:
        return "zh"
    return "en" if latin else None


def metadata_problem(metadata: Any) -> str | None:
    """Why `metadata` cannot be a document's (or a filter's) metadata, if it cannot."""
    if not isinstance(metadata, dict):
        return "metadata must be an object"
    for key, value in metadata.items():
        if key == TAGS or (isinstance(value, list) and key not in TEXT_FIELDS):
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                return f"metadata.{key} must be a list of strings"
        elif key in TEXT_FIELDS:
            if not isinstance(value, str):
                return f"metadata.{key} must be a string"
        elif isinstance(value, bool | int | float | str):
            continue
        else:
            return f"metadata.{key} must be a string, a number, a boolean or a list of strings"
    return None


def with_language(metadata: dict[str, Any] | None, text: str) -> dict[str, Any]:
    """The document's metadata, its language detected from its text unless given."""
    result = dict(metadata or {})
    if not result.get("language"):
        language = detect_language(text)
        if language is not None:
            result["language"] = language
    return result
