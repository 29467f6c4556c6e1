"""dataProcessingTaskProgress(taskId): a processing task's status changes and progress, live,
from any process.

The subscription joins the Redis channel `data_processing_task:{id}` BEFORE it reads the task,
then sends the task as it is (a first `DataProcessingTaskStatusChanged`), so nothing committed
after that read is missed. It ends after a final status (completed, failed, cancelled), at
once when the task has already finished. Authorized like `node(id:)`: a task the caller cannot
read is NOT_FOUND. Events are delivered by the channel's shared fan-out on websockets
(graphql_schema/fanout.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import strawberry

from graphql_schema.context import Info, Loaders
from graphql_schema.datasets.events import (
    DataProcessingTaskProgressed,
    DataProcessingTaskStatusChanged,
)
from graphql_schema.datasets.types import DataProcessingTask
from graphql_schema.errors import NotFound
from graphql_schema.fanout import Step
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import require_authenticated
from resolvers.system.live import live_events, node_of, published_at, shared
from services.dataprocessing.progress import STATUS_CHANGED, TASK
from services.pubsub import data_processing_task_channel

FINAL = ("completed", "failed", "cancelled")


async def data_processing_task_progress(
    info: Info, task_id: strawberry.ID
) -> AsyncGenerator[DataProcessingTaskStatusChanged | DataProcessingTaskProgressed, None]:
    require_authenticated(info)
    key = decode_global_id_of(task_id, DataProcessingTask, field="taskId")
    async with live_events(info, data_processing_task_channel(key)) as events:
        # a socket's loaders live as long as the socket: read the task afresh
        loaders = Loaders(info.context.db, info.context.principal)
        task = await loaders.node(DataProcessingTask).load(key)
        if task is None:
            raise NotFound("taskId: no such data processing task", field="taskId")
        yield DataProcessingTaskStatusChanged(task=task, published_at=datetime.now(UTC))
        if _status(task) in FINAL:
            return
        async for event in events.roots(task_event):
            yield event


def task_event(event: dict[str, Any]) -> Step:
    """The event as subscribers see it (built once per process and event); a final status is
    the stream's last event."""
    def build() -> DataProcessingTaskStatusChanged | DataProcessingTaskProgressed:
        task = node_of(DataProcessingTask, event, TASK)
        kind = DataProcessingTaskStatusChanged if event["type"] == STATUS_CHANGED \
            else DataProcessingTaskProgressed
        return kind(task=task, published_at=published_at(event))

    decoded = shared(event, "DataProcessingTaskProgressEvent", build)
    return decoded, isinstance(decoded, DataProcessingTaskStatusChanged) and _status(
        decoded.task) in FINAL


def _status(task: DataProcessingTask) -> str:
    return str(getattr(task.status, "value", task.status))
