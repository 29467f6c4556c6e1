"""Helpers the experiments mutations share: input checks, row lookups that keep other
organizations invisible, and reading a node again after its commit."""

from __future__ import annotations

import re
import uuid
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.scope import Principal
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.experiments.payloads import ExperimentErrorCode as Code
from resolvers.mutations import Problem, require, require_authenticated

NAME_MAX = 200
TAG_MAX, TAGS_MAX = 64, 50
URL_MAX = 2000
BRANCH_MAX = 255
GIT_COMMIT = re.compile(r"^[0-9a-fA-F]{7,64}$")
WRITE = "experiment:write"

RowT = TypeVar("RowT", bound=Base)


def sees(principal: Principal, organization_id: uuid.UUID) -> bool:
    return principal.unrestricted or organization_id in (principal.organization_ids or ())


async def writable_row(
    info: Info, session: AsyncSession, model: type[RowT], row_id: uuid.UUID, field: str,
) -> RowT:
    """The live row, locked for this transaction, once the caller may write in its
    organization: a missing, deleted or invisible row is NOT_FOUND, a visible one the caller
    may not change is FORBIDDEN. Anonymous callers learn nothing: UNAUTHENTICATED first."""
    require_authenticated(info)
    row = await session.get(model, row_id, with_for_update=True)
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise NotFound(f"{field}: no such object", field=field)
    require(info, WRITE, row.organization_id)  # type: ignore[attr-defined]
    return row


async def referenced_row(
    info: Info, session: AsyncSession, model: type[RowT], row_id: uuid.UUID, field: str,
    organization_id: uuid.UUID, problems: list[Problem],
) -> RowT:
    """A row the write points at (a dataset, a model version): NOT_FOUND when the caller cannot
    see it, a WRONG_ORGANIZATION problem when it lives in another of the caller's
    organizations."""
    row = await session.get(model, row_id)
    if (row is None or getattr(row, "deleted_at", None) is not None
            or not sees(info.context.principal, row.organization_id)):  # type: ignore[attr-defined]
        raise NotFound(f"{field}: no such object", field=field)
    if row.organization_id != organization_id:  # type: ignore[attr-defined]
        problems.append(Problem(field, f"{field} must belong to the same organization",
                                Code.WRONG_ORGANIZATION))
    return row


def text_problems(field: str, value: str, max_length: int = NAME_MAX) -> list[Problem]:
    if not value:
        return [Problem(field, f"{field} must not be empty", Code.INVALID)]
    if len(value) > max_length:
        return [Problem(field, f"{field}: at most {max_length} characters", Code.INVALID)]
    return []


def optional_text_problems(field: str, value: str | None, max_length: int) -> list[Problem]:
    if value is not None and len(value) > max_length:
        return [Problem(field, f"{field}: at most {max_length} characters", Code.INVALID)]
    return []


def object_problems(field: str, value: Any) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem(field, f"{field} must be a JSON object", Code.INVALID)]
    return []


def tags_problems(tags: list[str]) -> list[Problem]:
    if len(tags) > TAGS_MAX:
        return [Problem("tags", f"tags: at most {TAGS_MAX}", Code.INVALID)]
    if any(not tag.strip() or len(tag) > TAG_MAX for tag in tags):
        return [Problem("tags", f"tags: each 1 to {TAG_MAX} characters", Code.INVALID)]
    return []


def clean_tags(tags: list[str]) -> list[str]:
    """Stripped, without repeats, in the order given."""
    return list(dict.fromkeys(tag.strip() for tag in tags))


def git_commit_problems(value: str | None) -> list[Problem]:
    if value is not None and not GIT_COMMIT.match(value):
        return [Problem("gitCommit", "gitCommit: 7 to 64 hexadecimal digits", Code.INVALID)]
    return []


def count_problems(field: str, value: int | None) -> list[Problem]:
    if value is not None and value < 0:
        return [Problem(field, f"{field} must be 0 or more", Code.INVALID)]
    return []
