"""Field checks shared by mutations: each returns the cleaned value and records its problems,
so a mutation reports every bad field at once (`Checks.raise_if_any`).

Codes: REQUIRED (empty), TOO_LONG, OUT_OF_RANGE, INVALID (wrong shape), and what a caller adds.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Any
from urllib.parse import urlsplit

import orjson

from resolvers.mutations import InvalidInput, Problem

MAX_JSON_BYTES = 64 * 1024
MAX_TAGS, MAX_TAG = 50, 50
MAX_TEXT = 10_000
VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,49}")
SLUG_LIKE = re.compile(r"[a-z][a-z0-9_]{0,49}")


class Checks:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str | None, message: str, code: str = "INVALID") -> None:
        self.problems.append(Problem(field, message, code))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems)

    def name(self, field: str, value: str, max_length: int) -> str:
        """Required text, stripped."""
        value = value.strip()
        if not value:
            self.add(field, f"{field} must not be empty", "REQUIRED")
        elif len(value) > max_length:
            self.add(field, f"{field}: at most {max_length} characters", "TOO_LONG")
        return value

    def text(self, field: str, value: str | None, max_length: int = MAX_TEXT) -> str | None:
        """Optional text; blank becomes null."""
        if value is None:
            return None
        value = value.strip()
        if len(value) > max_length:
            self.add(field, f"{field}: at most {max_length} characters", "TOO_LONG")
        return value or None

    def version(self, value: str) -> str:
        """A version label (`1.2.0`, `v3-rc1`), the same rule for models, datasets, apps."""
        value = value.strip()
        if not VERSION.fullmatch(value):
            self.add("version", "version: 1 to 50 of letters, digits and `._+-`, starting "
                                "with a letter or digit")
        return value

    def one_of(self, field: str, value: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.add(field, f"{field} must be one of: {', '.join(allowed)}")
        return value

    def identifier(self, field: str, value: str) -> str:
        """A lower-case word like `postgresql` or `tabular` (kinds the platform may grow)."""
        value = value.strip()
        if not SLUG_LIKE.fullmatch(value):
            self.add(field, f"{field}: 1 to 50 of a-z, 0-9 and `_`, starting with a letter")
        return value

    def int_range(self, field: str, value: int | None, low: int, high: int) -> int | None:
        if value is not None and not low <= value <= high:
            self.add(field, f"{field} must be between {low} and {high}", "OUT_OF_RANGE")
        return value

    def json_object(self, field: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(field, f"{field} must be a JSON object")
            return {}
        if len(orjson.dumps(value)) > MAX_JSON_BYTES:
            self.add(field, f"{field}: at most {MAX_JSON_BYTES // 1024} KiB of JSON", "TOO_LONG")
        return value

    def json_list(self, field: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            self.add(field, f"{field} must be a JSON array")
            return []
        if len(orjson.dumps(value)) > MAX_JSON_BYTES:
            self.add(field, f"{field}: at most {MAX_JSON_BYTES // 1024} KiB of JSON", "TOO_LONG")
        return value

    def tags(self, field: str, values: list[str]) -> list[str]:
        """Stripped, de-duplicated in order; each 1 to 50 characters, at most 50 of them."""
        cleaned = list(dict.fromkeys(v.strip() for v in values))
        if len(cleaned) > MAX_TAGS:
            self.add(field, f"{field}: at most {MAX_TAGS} entries", "TOO_LONG")
        if any(not 1 <= len(v) <= MAX_TAG for v in cleaned):
            self.add(field, f"{field}: each entry has 1 to {MAX_TAG} characters")
        return cleaned

    def http_url(self, field: str, value: Any, what: str) -> None:
        if not isinstance(value, str) or not is_http_url(value):
            self.add(field, f"{what} must be an http:// or https:// URL")


def passed(input: Any, *, skip: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """The `Maybe` fields of an update input that were sent, unwrapped (enums to their values):
    absent fields are left out, an explicit null is kept as None."""
    values = {}
    for f in dataclasses.fields(input):
        maybe = getattr(input, f.name)
        if f.name in skip or maybe is None:
            continue
        value = maybe.value
        values[f.name] = value.value if isinstance(value, enum.Enum) else value
    return values


def json_or_empty(value: Any) -> Any:
    """An omitted JSON object input is `{}`; anything sent (even `[]` or `0`) is checked."""
    return {} if value is None else value


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(value) <= 2048


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
