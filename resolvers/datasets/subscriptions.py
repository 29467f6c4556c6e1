"""dataProcessingTaskProgress(taskId): a processing task's status changes and progress, live,
from any process (the stream is resolvers/system/progress.py's, over the channel
`data_processing_task:{id}`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_schema.context import Info
from graphql_schema.datasets.events import (
    DataProcessingTaskProgressed,
    DataProcessingTaskStatusChanged,
)
from graphql_schema.datasets.types import DataProcessingTask
from resolvers.system.progress import ProgressStream
from services.dataprocessing.progress import STATUS_CHANGED
from services.pubsub import data_processing_task_channel

STREAM = ProgressStream(DataProcessingTask, "task", "data processing task",
                        DataProcessingTaskStatusChanged, DataProcessingTaskProgressed,
                        STATUS_CHANGED, data_processing_task_channel)


def data_processing_task_progress(
    info: Info, task_id: strawberry.ID
) -> AsyncGenerator[DataProcessingTaskStatusChanged | DataProcessingTaskProgressed, None]:
    return STREAM.follow(info, task_id)
