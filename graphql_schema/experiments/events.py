"""Events of `runProgress(runId)`. On the Redis channel `run:{run_id}` they are JSON objects
`{"type": ..., "run": {columns}, "points": [...], "published_at": ...}` (resolvers/experiments/
events.py): the run's committed columns travel with the event, so every process's subscribers
see the same state in the same order without reading the database again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from graphql_schema.experiments.types import Run

PUBLISHED_AT_HELP = ("When the server published it; compare with your clock for the delivery "
                     "delay.")


@strawberry.type(description="One reported metric point, as the trainer sent it.")
class RunMetricPoint:
    step: int
    epoch: int | None
    loss: float | None
    accuracy: float | None
    learning_rate: float | None
    gpu_memory_mb: float | None
    custom: JSON


@strawberry.type(description="The run's status changed; also the first event of every "
                             "subscription, with the run as it is then.")
class RunStatusChanged:
    run: Run
    published_at: datetime = strawberry.field(description=PUBLISHED_AT_HELP)


@strawberry.type(description="A batch of points was stored; `run` shows the progress after it.")
class RunMetricsReported:
    run: Run
    points: list[RunMetricPoint]
    published_at: datetime = strawberry.field(description=PUBLISHED_AT_HELP)


RunProgressEvent = Annotated[RunStatusChanged | RunMetricsReported,
                             strawberry.union("RunProgressEvent")]
