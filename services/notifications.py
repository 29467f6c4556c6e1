"""A notification row and the event announcing it, for any code holding a transaction: a
mutation (resolvers/system/notifications.py re-exports these) or a job on a worker.

The row is written in the caller's transaction; the event carries the committed row, so it
is published only after that transaction commits (an uncommitted row must never reach a
client), on the recipient's channel `notifications:{user_id}`.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification
from services.pubsub import notifications_channel

log = logging.getLogger("aiplatform.notifications")
NOTIFICATION = "notification"
COLUMNS = tuple(c.key for c in Notification.__table__.columns)


def _wire(value: Any) -> Any:
    # asyncpg's UUID subclass and Decimal are not orjson-native
    return str(value) if isinstance(value, (uuid.UUID, Decimal)) else value


async def add_notification(
    session: AsyncSession, *, user_id: uuid.UUID, kind: str, title: str,
    body: str | None = None, data: dict[str, Any] | None = None,
    organization_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Insert a notification in the caller's transaction; returns the event to publish once
    that transaction has committed."""
    row = Notification(user_id=user_id, organization_id=organization_id, kind=kind,
                       title=title[:255], body=body, data=data or {})
    session.add(row)
    await session.flush()
    await session.refresh(row)  # server defaults (created_at, updated_at) for the event
    record = {column: _wire(getattr(row, column)) for column in COLUMNS}
    return {"user_id": user_id, NOTIFICATION: record}


async def publish_notifications(redis: Redis, events: list[dict[str, Any]]) -> None:
    """Publish committed notifications straight on Redis (a worker has no request). A Redis
    failure is logged and swallowed: the rows are what is durable (DESIGN.md §3)."""
    now = datetime.now(UTC)
    for event in events:
        try:
            await redis.publish(notifications_channel(event["user_id"]), orjson.dumps(
                {NOTIFICATION: event[NOTIFICATION], "published_at": now}))
        except Exception:
            log.exception("could not publish a notification to %s", event["user_id"])
