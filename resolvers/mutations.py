"""The shape every mutation shares: one transaction, typed user errors, an audit row.

    async def create_project(info, input) -> CreateProjectPayload:
        async with write(info) as tx:
            require(info, "experiment:write", org_id)       # FORBIDDEN / NOT_FOUND, top-level
            if problems: raise InvalidInput(problems)       # -> userErrors, rolled back
            project = Project(...); tx.session.add(project); await tx.session.flush()
            await tx.audit("project.create", project, new=...)
        return CreateProjectPayload(project=..., user_errors=[])

`mutation_payload` runs such a body and turns `InvalidInput` into `userErrors`; access and
not-found problems stay top-level GraphQL errors (DESIGN.md §5.2 habit 8).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden, NotFound, Unauthenticated, UserError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    field: str | None
    message: str
    code: str = "INVALID"


class InvalidInput(Exception):
    """Input problems of a mutation; all of them are reported at once as userErrors."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(p.message for p in self.problems))


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [UserError(field=None if p.field is None else ["input", p.field],
                      message=p.message, code=p.code) for p in problems]


def require_authenticated(info: Info) -> None:
    if not info.context.principal.authenticated:
        raise Unauthenticated("Log in first: send Authorization: Bearer <token or API key>")


def require(info: Info, permission: str, organization_id: uuid.UUID | None) -> None:
    """The caller must hold `permission` in that organization. An organization the caller
    cannot see at all is reported as not found, so its existence does not leak."""
    require_authenticated(info)
    principal = info.context.principal
    if organization_id is None:
        raise NotFound("No such object")
    if principal.can(permission, organization_id):
        return
    if principal.unrestricted or organization_id in (principal.organization_ids or ()):
        raise Forbidden(f"You need the {permission!r} permission in this organization",
                        permission=permission)
    raise NotFound("No such object")


# object_permissions rows granting a codename on one row to the caller or one of its groups
OBJECT_GRANT_SQL = """
SELECT 1 FROM object_permissions op JOIN permissions p ON p.id = op.permission_id
WHERE op.organization_id = $1 AND op.resource_id = $2 AND p.codename = $3
  AND (op.user_id = $4 OR op.group_id IN (
       SELECT gm.group_id FROM group_members gm WHERE gm.user_id = $4 AND gm.organization_id = $1))
LIMIT 1"""


async def can_on_object(
    info: Info, permission: str, organization_id: uuid.UUID, object_id: uuid.UUID
) -> bool:
    """`principal.can` in the organization, or an object grant (to the caller or one of its
    groups) of `permission` on that one row; grants count only while the caller is a member."""
    principal = info.context.principal
    if principal.can(permission, organization_id):
        return True
    if principal.user_id is None or organization_id not in principal.roles:
        return False
    if principal.scopes is not None and permission not in principal.scopes:
        return False
    return bool(await info.context.db.fetch(
        OBJECT_GRANT_SQL, organization_id, object_id, permission, principal.user_id))


async def require_on_object(
    info: Info, permission: str, organization_id: uuid.UUID | None, object_id: uuid.UUID
) -> None:
    """`require` for an action on one row: an object grant on it is enough. (An async sibling
    rather than an argument of `require`, which stays synchronous for its callers.)"""
    require_authenticated(info)
    if organization_id is not None and await can_on_object(
            info, permission, organization_id, object_id):
        return
    require(info, permission, organization_id)


class Transaction:
    """One write transaction of one mutation, with the audit trail in the same transaction."""

    def __init__(self, info: Info, session: AsyncSession) -> None:
        self.info = info
        self.session = session

    async def audit(
        self, action: str, *, resource_type: str, resource_id: object,
        organization_id: uuid.UUID | None, old: dict[str, Any] | None = None,
        new: dict[str, Any] | None = None, actor_id: uuid.UUID | None = None,
    ) -> None:
        """`actor_id` names the actor when the caller is not yet authenticated (sign-up, log-in)."""
        ctx = self.info.context
        request = ctx.request
        headers = request.headers if request is not None else {}
        client = request.client if request is not None else None
        self.session.add(AuditLog(
            organization_id=organization_id, user_id=actor_id or ctx.principal.user_id,
            action=action,
            resource_type=resource_type, resource_id=str(resource_id),
            old_values=_jsonable(old), new_values=_jsonable(new),
            ip_address=client.host if client else None,
            user_agent=headers.get("user-agent"), request_id=headers.get("x-request-id"),
        ))


@asynccontextmanager
async def write(info: Info) -> AsyncIterator[Transaction]:
    """Commit when the block ends normally, roll back on any exception (nothing half-written)."""
    async with info.context.db.sessionmaker() as session, session.begin():
        yield Transaction(info, session)


async def mutation_payload(
    body: Callable[[], Awaitable[T]], on_problems: Callable[[list[UserError]], T]
) -> T:
    """Run a mutation body; its InvalidInput becomes the payload's userErrors."""
    try:
        return await body()
    except InvalidInput as invalid:
        return on_problems(user_errors(invalid.problems))


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: v if isinstance(v, (str, int, float, bool, type(None), list, dict)) else str(v)
            for k, v in values.items()}
