"""Identity: organizations (the tenants), users, memberships, groups, permissions, credentials.

Users, permissions and their sessions are global; everything a tenant owns carries
`organization_id` itself (DESIGN.md §2), so scoping is one indexed filter at every level.
This module also holds the small column helpers the other domain modules share, next to the
organizations table most of them point at.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from db.base import Base, CreatedAt, SoftDelete, Timestamps, UUIDPk

# ------------------------------------------------------------------ shared column helpers


def organization_fk(*, index: bool = True, nullable: bool = False) -> MappedColumn[Any]:
    """`organization_id`; pass index=False where a composite index already leads with it."""
    return mapped_column(
        UUID(as_uuid=True),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=nullable,
        index=index,
    )


def fk(
    target: str,
    *,
    ondelete: str | None = None,
    nullable: bool = False,
    index: bool = True,
    use_alter: bool = False,
) -> MappedColumn[Any]:
    """A UUID foreign key. ondelete=None is NO ACTION, checked at statement end, so an
    organization delete may cascade through both sides of such a reference."""
    return mapped_column(
        UUID(as_uuid=True),
        ForeignKey(target, ondelete=ondelete, use_alter=use_alter),
        nullable=nullable,
        index=index,
    )


def created_by_fk() -> MappedColumn[Any]:
    """Who created a row; the row outlives its author."""
    return fk("users.id", ondelete="SET NULL", nullable=True)


def jsonb_object(name: str | None = None, *, nullable: bool = False) -> MappedColumn[Any]:
    """A JSONB object column; `name` is for attributes renamed off reserved words (metadata)."""
    args = (name, JSONB) if name else (JSONB,)
    return mapped_column(*args, nullable=nullable, server_default=text("'{}'::jsonb"))


def jsonb_array() -> MappedColumn[Any]:
    return mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))


def tags_column() -> MappedColumn[Any]:
    return mapped_column(ARRAY(Text), nullable=False, server_default=text("'{}'"))


def one_of(column: str, values: Sequence[str], name: str | None = None) -> CheckConstraint:
    """`column IN (...)`; the naming convention turns name "status" into ck_<table>_status."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name or column)


def ix(table: str, *columns: str, **kwargs: Any) -> Index:
    """A composite index named like the convention's single-column ones."""
    return Index(f"ix_{table}_{'_'.join(columns)}", *columns, **kwargs)


def org_listing(table: str) -> Index:
    """(organization_id, id): the tenant's own keyset-paginated list is one range scan."""
    return ix(table, "organization_id", "id")


def flag(default: bool, *, index: bool = False) -> MappedColumn[Any]:
    return mapped_column(
        Boolean, nullable=False, index=index, server_default=true() if default else false()
    )


# ------------------------------------------------------------------ tables

MEMBERSHIP_ROLES = ("owner", "admin", "member", "viewer")
USER_STATUSES = ("active", "inactive", "suspended", "pending")


class Organization(UUIDPk, Timestamps, SoftDelete, Base):
    """`deleted_at`: deleted by its owner; gone for its members at once, purged (with
    everything in it) AIPLATFORM_ORGANIZATION_PURGE_DAYS later."""

    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = jsonb_object()
    is_active: Mapped[bool] = flag(True)


class User(UUIDPk, Timestamps, SoftDelete, Base):
    """Global account; organizations are joined through memberships."""

    __tablename__ = "users"
    __table_args__ = (one_of("status", USER_STATUSES), ix("users", "created_at"))

    email: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    # NULL for accounts that cannot log in with a password (invited, SSO, service users).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(150))
    last_name: Mapped[str | None] = mapped_column(String(150))
    avatar_url: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    bio: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="active")
    is_superuser: Mapped[bool] = flag(False)
    settings: Mapped[dict[str, Any]] = jsonb_object()  # the user's preferences
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # BCP 47 (`zh-CN`): the language of mails and analysis results; NULL: the organization's
    locale: Mapped[str | None] = mapped_column(String(35))
    # the avatar among the files of one of the user's organizations (files -> users too)
    avatar_file_id: Mapped[uuid.UUID | None] = fk("files.id", ondelete="SET NULL", nullable=True,
                                                  index=False, use_alter=True)


class Membership(UUIDPk, Timestamps, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        one_of("role", MEMBERSHIP_ROLES),
        org_listing("memberships"),
        ix("memberships", "user_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    role: Mapped[str] = mapped_column(String(20), server_default="member")
    department: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(100))


class Group(UUIDPk, Timestamps, Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("organization_id", "name"), org_listing("groups"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str | None] = mapped_column(Text)


class GroupMember(UUIDPk, CreatedAt, Base):
    __tablename__ = "group_members"
    __table_args__ = (
        UniqueConstraint("group_id", "user_id"),
        ix("group_members", "group_id", "id"),
        ix("group_members", "user_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    group_id: Mapped[uuid.UUID] = fk("groups.id", ondelete="CASCADE", index=False)
    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)


class Permission(UUIDPk, Timestamps, Base):
    """Global catalogue; `codename` carries the resource (`dataset:write`), so it is unique."""

    __tablename__ = "permissions"

    codename: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    resource_type: Mapped[str | None] = mapped_column(String(100), index=True)


class GroupPermission(UUIDPk, CreatedAt, Base):
    __tablename__ = "group_permissions"
    __table_args__ = (
        UniqueConstraint("group_id", "permission_id"),
        ix("group_permissions", "group_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    group_id: Mapped[uuid.UUID] = fk("groups.id", ondelete="CASCADE", index=False)
    permission_id: Mapped[uuid.UUID] = fk("permissions.id", ondelete="CASCADE")


class UserPermission(UUIDPk, CreatedAt, Base):
    """A direct grant, valid inside one organization (platform-wide power is is_superuser)."""

    __tablename__ = "user_permissions"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id", "permission_id"),
        ix("user_permissions", "user_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    permission_id: Mapped[uuid.UUID] = fk("permissions.id", ondelete="CASCADE")


class ObjectPermission(UUIDPk, CreatedAt, Base):
    """A grant on one row (`resource_type`, `resource_id`) to exactly one user or group."""

    __tablename__ = "object_permissions"
    __table_args__ = (
        CheckConstraint("num_nonnulls(user_id, group_id) = 1", name="grantee"),
        ix("object_permissions", "resource_type", "resource_id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    permission_id: Mapped[uuid.UUID] = fk("permissions.id", ondelete="CASCADE")
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="CASCADE", nullable=True)
    group_id: Mapped[uuid.UUID | None] = fk("groups.id", ondelete="CASCADE", nullable=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))


class UserSession(UUIDPk, Timestamps, Base):
    """A login. Only hashes of the tokens are stored; a leaked table grants nothing."""

    __tablename__ = "user_sessions"
    __table_args__ = (ix("user_sessions", "user_id", "id"),)

    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    device_info: Mapped[dict[str, Any]] = jsonb_object()
    # text, not inet: peers such as test clients or unix sockets report non-IP addresses
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_used_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserIdentity(UUIDPk, CreatedAt, Base):
    """An account at an OpenID provider (issuer and subject) that logs in as a user: the
    subject, not the email, is what a later login is recognised by."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),
                      ix("user_identities", "user_id", "id"))

    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ApiKey(UUIDPk, Timestamps, Base):
    """Key for scripts and trainers: looked up by `prefix`, verified against `key_hash`."""

    __tablename__ = "api_keys"
    __table_args__ = (org_listing("api_keys"), ix("api_keys", "user_id", "id"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), index=True)
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    scopes: Mapped[list[str]] = tags_column()
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
