"""Events of `dataProcessingTaskProgress(taskId)`. On the Redis channel
`data_processing_task:{id}` they are JSON objects `{"type": ..., "task": {columns},
"published_at": ...}` written by the worker running the task
(services/dataprocessing/progress.py) and by cancelDataProcessingTask: the task's committed row
travels with each, so subscribers see the same state in every process without reading the
database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_schema.datasets.types import DataProcessingTask

PUBLISHED_AT_HELP = ("When the server published it; compare with your clock for the delivery "
                     "delay.")


@strawberry.type(description="The task's status changed; also the first event of every "
                             "subscription, with the task as it is then.")
class DataProcessingTaskStatusChanged:
    task: DataProcessingTask
    published_at: datetime = strawberry.field(description=PUBLISHED_AT_HELP)


@strawberry.type(description="The running task finished a step: `task.progress` (0-100).")
class DataProcessingTaskProgressed:
    task: DataProcessingTask
    published_at: datetime = strawberry.field(description=PUBLISHED_AT_HELP)


DataProcessingTaskProgressEvent = Annotated[
    DataProcessingTaskStatusChanged | DataProcessingTaskProgressed,
    strawberry.union("DataProcessingTaskProgressEvent")]
