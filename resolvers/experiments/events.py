"""A run's events on `run:{run_id}` (their wire form: services/experiments/run_metrics.py):
built by the mutations after their commit, decoded by `runProgress` (once per process and
event: local subscribers share the decoded objects, see resolvers/system/live.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql_schema.experiments.events import RunMetricPoint, RunMetricsReported, RunStatusChanged
from graphql_schema.experiments.types import Run
from resolvers.system.live import node_of, node_record, published_at
from services.experiments import run_metrics
from services.experiments.run_metrics import FIELDS, POINTS, RUN, STATUS_CHANGED

_DECODED_POINTS = "_decoded_points"  # per-process memo inside a received event


def status_changed(run: Run) -> dict[str, Any]:
    return run_metrics.status_changed(node_record(run))


def metrics_reported(run: Run, points: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """`points`: tuples of the fields of RunMetricPoint, in FIELDS order."""
    return run_metrics.metrics_reported(node_record(run), points)


def decode(event: dict[str, Any]) -> RunStatusChanged | RunMetricsReported:
    run = node_of(Run, event, RUN)
    if event["type"] == STATUS_CHANGED:
        return RunStatusChanged(run=run, published_at=published_at(event))
    points = event.get(_DECODED_POINTS)
    if points is None:
        columns = event[POINTS]
        points = event[_DECODED_POINTS] = [
            RunMetricPoint(step=step, epoch=epoch, loss=loss, accuracy=accuracy,
                           learning_rate=learning_rate, gpu_memory_mb=gpu_memory_mb,
                           custom=custom)
            for step, epoch, loss, accuracy, learning_rate, gpu_memory_mb, custom
            in zip(*(columns[f] for f in FIELDS), strict=True)]
    return RunMetricsReported(run=run, points=points, published_at=published_at(event))
