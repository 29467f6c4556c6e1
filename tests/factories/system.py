"""Factories of the system domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, Notification, Organization, SystemLog, SystemSetting, User


async def make_audit_log(
    session: AsyncSession, *, organization: Organization | None, user: User | None = None,
    action: str = "update", resource_type: str = "ai_model", resource_id: str | None = None,
    old_values: dict | None = None, new_values: dict | None = None,
    created_at: datetime | None = None,
) -> AuditLog:
    """`created_at` defaults to the transaction's start, so pass it to order a history."""
    entry = AuditLog(
        organization_id=organization.id if organization else None,
        user_id=user.id if user else None, action=action, resource_type=resource_type,
        resource_id=resource_id, old_values=old_values, new_values=new_values,
        **({"created_at": created_at} if created_at else {}),
    )
    session.add(entry)
    await session.flush()
    return entry


async def make_notification(
    session: AsyncSession, *, user: User, organization: Organization | None = None,
    kind: str = "info", title: str = "Hello", read_at: datetime | None = None,
    created_at: datetime | None = None,
) -> Notification:
    notification = Notification(
        user_id=user.id, organization_id=organization.id if organization else None,
        kind=kind, title=title, read_at=read_at,
        **({"created_at": created_at} if created_at else {}),
    )
    session.add(notification)
    await session.flush()
    return notification


async def make_system_setting(
    session: AsyncSession, *, category: str = "general", key: str = "setting",
    value: Any = "on", is_public: bool = False, is_editable: bool = True,
) -> SystemSetting:
    setting = SystemSetting(category=category, key=key, value=value, is_public=is_public,
                            is_editable=is_editable)
    session.add(setting)
    await session.flush()
    return setting


async def make_system_log(
    session: AsyncSession, *, message: str = "something failed", level: str = "ERROR",
    module: str = "app.tests", user: User | None = None, request_id: str | None = None,
    created_at: datetime | None = None,
) -> SystemLog:
    entry = SystemLog(level=level, module=module, message=message, logger_name="aiplatform",
                      user_id=user.id if user else None, request_id=request_id,
                      **({"created_at": created_at} if created_at else {}))
    session.add(entry)
    await session.flush()
    return entry
