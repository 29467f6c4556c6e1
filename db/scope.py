"""Tenant scoping: the one place that says which rows a caller may read.

Every read path (root connections, `node`/`nodes`, nested relations, counts) builds its WHERE
clause through `visible()`, so a row outside the caller's organizations is indistinguishable
from a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from db.permissions import ROLE_PERMISSIONS

ORGANIZATION_TABLE = "organizations"
USER_TABLE = "users"
USER_OWNED_TABLES = frozenset({"notifications", "user_sessions", "api_keys"})
AUDIT_TABLE = "audit_logs"
AUDIT_READ = "audit:read"
SETTINGS_TABLE = "system_settings"
SYSTEM_LOG_TABLE = "system_logs"
SESSION_TABLE = "user_sessions"
INVITATION_TABLE = "invitations"
INVITATIONS_READ = "member:manage"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, resolved once per request by services/auth.py.

    `organization_ids=None` means unrestricted (platform superuser). `roles` maps each
    organization to the caller's role there; `scopes` is set for API keys, whose permissions
    are the key's scopes intersected with what its owner's role allows. `grants` adds codenames
    per organization on top of the role (from the caller's groups and direct user permissions);
    they count only while the caller is a member there.
    """

    user_id: uuid.UUID | None = None
    organization_ids: frozenset[uuid.UUID] | None = frozenset()
    is_superuser: bool = False
    roles: Mapping[uuid.UUID, str] = field(default_factory=dict)
    scopes: frozenset[str] | None = None
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    grants: Mapping[uuid.UUID, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def superuser(cls, user_id: uuid.UUID | None = None) -> Principal:
        return cls(user_id=user_id, organization_ids=None, is_superuser=True)

    @classmethod
    def anonymous(cls) -> Principal:
        return cls()

    @classmethod
    def member(cls, user_id: uuid.UUID, roles: Mapping[uuid.UUID, str], **kwargs: object
               ) -> Principal:
        return cls(user_id=user_id, organization_ids=frozenset(roles), roles=dict(roles),
                   **kwargs)  # type: ignore[arg-type]

    @property
    def unrestricted(self) -> bool:
        return self.organization_ids is None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None or self.is_superuser

    def can(self, permission: str, organization_id: uuid.UUID) -> bool:
        """Whether the caller's role (or a group or user grant) in that organization grants
        `permission` (codename)."""
        if self.is_superuser:
            return self.scopes is None or permission in self.scopes
        role = self.roles.get(organization_id)
        if role is None:
            return False
        if (permission not in ROLE_PERMISSIONS[role]
                and permission not in self.grants.get(organization_id, ())):
            return False
        return self.scopes is None or permission in self.scopes


def visible(table: str, alias: str, principal: Principal, params: list[object]) -> str | None:
    """SQL condition restricting `alias` (a row of `table`) to what `principal` may read.

    Appends its parameters to `params` and returns None when no restriction applies.
    """
    if table == SESSION_TABLE:  # an ended login is history, for no one to list
        live = f"{alias}.revoked_at IS NULL AND {alias}.expires_at > now()"
        own = _restrict(table, alias, principal, params)
        return live if own is None else f"{live} AND {own}"
    if table == INVITATION_TABLE:  # a settled invitation is history (the audit trail has it)
        pending = (f"{alias}.accepted_at IS NULL AND {alias}.revoked_at IS NULL "
                   f"AND {alias}.expires_at > now()")
        if principal.organization_ids is None:
            return pending
        # pending ones are for those who manage members (they hold emails of outsiders)
        params.append([o for o in principal.organization_ids
                       if principal.can(INVITATIONS_READ, o)])
        return f"{pending} AND {alias}.organization_id = ANY(${len(params)}::uuid[])"
    return _restrict(table, alias, principal, params)


def _restrict(table: str, alias: str, principal: Principal, params: list[object]
              ) -> str | None:
    if principal.organization_ids is None:
        return None
    if table == SETTINGS_TABLE:  # platform settings: the public ones are for everyone
        return f"{alias}.is_public"
    if table == SYSTEM_LOG_TABLE:
        # Platform logs belong to no organization and may name any tenant's objects, so no
        # organization role opens them, not even audit:read there: superusers only.
        return "FALSE"
    if table in USER_OWNED_TABLES:  # one person's rows, even inside a shared organization
        if principal.user_id is None:
            return "FALSE"
        params.append(principal.user_id)
        return f"{alias}.user_id = ${len(params)}::uuid"
    if table == AUDIT_TABLE:  # the audit trail is for those holding audit:read (owners, admins)
        params.append([o for o in principal.organization_ids if principal.can(AUDIT_READ, o)])
        return f"{alias}.organization_id = ANY(${len(params)}::uuid[])"
    if table not in (ORGANIZATION_TABLE, USER_TABLE) and not _has_organization(table):
        return "FALSE"  # other platform tables (the mail outbox) are for superusers only
    params.append(list(principal.organization_ids))
    orgs = f"${len(params)}::uuid[]"
    if table == ORGANIZATION_TABLE:
        return f"{alias}.id = ANY({orgs})"
    if table == USER_TABLE:
        own = ""
        if principal.user_id is not None:
            params.append(principal.user_id)
            own = f"{alias}.id = ${len(params)}::uuid OR "
        return (
            f"({own}EXISTS (SELECT 1 FROM memberships sm WHERE sm.user_id = {alias}.id "
            f"AND sm.organization_id = ANY({orgs})))"
        )
    return f"{alias}.organization_id = ANY({orgs})"


@cache
def _has_organization(table: str) -> bool:
    import db.models  # noqa: F401  (registers every table)
    from db.base import Base

    return "organization_id" in Base.metadata.tables[table].c
