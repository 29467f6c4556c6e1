"""The notification a finished run sends its creator, for runs a worker finishes: the same
row and event as `finish` in resolvers/experiments/mutations/runs.py writes for the API's
completeRun, failRun and cancelRun, so the `notifications` subscription shows both alike."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification, Run
from services.pubsub import PubSub, notifications_channel

NOTIFICATION = "notification"  # the event's key, as resolvers/system/notifications.py reads it


async def run_finished(session: AsyncSession, run: Run) -> dict[str, Any] | None:
    """Insert the creator's notification of the run's final status in the caller's
    transaction; the event to publish once it has committed (None: nobody to tell)."""
    if run.created_by is None:
        return None
    global_id = base64.b64encode(f"Run:{run.id}".encode()).decode()
    row = Notification(user_id=run.created_by, organization_id=run.organization_id,
                       kind=f"run.{run.status}",
                       title=f"Run {run.name or run.id} {run.status}"[:255],
                       body=run.error_message, data={"runId": global_id, "status": run.status})
    session.add(row)
    await session.flush()
    await session.refresh(row)  # server defaults (created_at, updated_at) for the event
    record = {c.name: _wire(getattr(row, c.name)) for c in Notification.__table__.columns}
    return {"user_id": run.created_by, NOTIFICATION: record}


async def publish(pubsub: PubSub, event: dict[str, Any]) -> None:
    await pubsub.publish(notifications_channel(event["user_id"]),
                         {NOTIFICATION: event[NOTIFICATION], "published_at": datetime.now(UTC)})


def _wire(value: Any) -> Any:
    return str(value) if isinstance(value, (uuid.UUID, Decimal)) else value
