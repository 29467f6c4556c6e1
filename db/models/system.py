"""System: platform settings, the audit trail, application logs and user notifications.

Settings are global (a reference table under Citus); audit logs are written by every
mutation, inside its transaction, so a committed change always has its entry.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, Timestamps, UUIDPk
from db.models.identity import fk, flag, ix, jsonb_object, one_of, organization_fk
from db.search_text import searchable

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SystemSetting(UUIDPk, Timestamps, Base):
    """`value` is any JSON; when `is_encrypted` it holds the ciphertext as a string."""

    __tablename__ = "system_settings"
    __table_args__ = (UniqueConstraint("category", "key"),)

    category: Mapped[str] = mapped_column(String(100), server_default="general")
    key: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = flag(False, index=True)
    is_encrypted: Mapped[bool] = flag(False)
    is_editable: Mapped[bool] = flag(True)
    updated_by: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True)


class AuditLog(UUIDPk, CreatedAt, Base):
    """Who changed what (append-only). `organization_id` is NULL for platform-level acts."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        ix("audit_logs", "organization_id", "id"),
        ix("audit_logs", "resource_type", "resource_id"),
        ix("audit_logs", "created_at"),
    )

    organization_id: Mapped[uuid.UUID | None] = organization_fk(index=False, nullable=True)
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    resource_type: Mapped[str] = mapped_column(String(100))
    resource_id: Mapped[str | None] = mapped_column(String(255))
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(100))


class SystemLog(searchable("message"), UUIDPk, CreatedAt, Base):
    """Application log records kept in the database and mirrored to the search index."""

    __tablename__ = "system_logs"
    __table_args__ = (
        one_of("level", LOG_LEVELS),
        ix("system_logs", "level", "created_at"),
        ix("system_logs", "created_at"),
        ix("system_logs", "search_vector", postgresql_using="gin"),
        Index("ix_system_logs_message_trgm", "message", postgresql_using="gin",
              postgresql_ops={"message": "gin_trgm_ops"}),
    )

    level: Mapped[str] = mapped_column(String(20))
    module: Mapped[str] = mapped_column(String(100), index=True)
    message: Mapped[str] = mapped_column(Text)
    logger_name: Mapped[str | None] = mapped_column(String(100))
    function_name: Mapped[str | None] = mapped_column(String(100))
    line_number: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(100), index=True)
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    ip_address: Mapped[str | None] = mapped_column(String(64))


class Notification(UUIDPk, Timestamps, Base):
    __tablename__ = "notifications"
    __table_args__ = (ix("notifications", "user_id", "id"),)

    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    organization_id: Mapped[uuid.UUID | None] = organization_fk(nullable=True)
    kind: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = jsonb_object()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
