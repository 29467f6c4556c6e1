"""A task's changes where subscribers see them: the channel `data_processing_task:{id}` that
`dataProcessingTaskProgress(taskId)` listens on.

An event is `{"type": STATUS_CHANGED | PROGRESSED, "task": {columns}, "published_at": ...}`:
the task's committed row travels with it (its configuration's secrets masked), so subscribers
need no database read. Events are published after the commit they describe; a Redis failure
is logged and swallowed (the row is what is durable, DESIGN.md §3).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.pubsub import PubSub, data_processing_task_channel
from services.security.redaction import redact_secrets

log = logging.getLogger("aiplatform.dataprocessing")
STATUS_CHANGED, PROGRESSED = "DataProcessingTaskStatusChanged", "DataProcessingTaskProgressed"
TASK = "task"


def task_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The task's columns as orjson publishes them (UUIDs and decimals as strings)."""
    record = {k: str(v) if isinstance(v, (uuid.UUID, Decimal)) else v for k, v in row.items()}
    record["configuration"] = redact_secrets(record.get("configuration") or {})
    return record


async def report(pubsub: PubSub | None, kind: str, row: Mapping[str, Any]) -> None:
    """Publish the event of a committed change of the task `row`."""
    if pubsub is None:
        return
    try:
        await pubsub.publish(data_processing_task_channel(row["id"]), {
            "type": kind, TASK: task_record(row), "published_at": datetime.now(UTC)})
    except Exception:
        log.exception("could not report the progress of data processing task %s", row["id"])
