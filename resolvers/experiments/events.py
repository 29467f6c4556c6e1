"""The wire form of a run's events on `run:{run_id}`: built by the mutations after their
commit, decoded by `runProgress` (once per process and event: local subscribers share the
decoded objects, see resolvers/system/live.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql_schema.experiments.events import RunMetricPoint, RunMetricsReported, RunStatusChanged
from graphql_schema.experiments.types import Run
from resolvers.system.live import node_of, node_record, published_at

STATUS_CHANGED = "RunStatusChanged"
METRICS_REPORTED = "RunMetricsReported"
RUN, POINTS = "run", "points"
_DECODED_POINTS = "_decoded_points"  # per-process memo inside a received event
FIELDS = ("step", "epoch", "loss", "accuracy", "learning_rate", "gpu_memory_mb", "custom")


def status_changed(run: Run) -> dict[str, Any]:
    return {"type": STATUS_CHANGED, RUN: node_record(run)}


def metrics_reported(run: Run, points: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """`points`: tuples of the fields of RunMetricPoint, in FIELDS order. They travel as one
    list per field (half the bytes of one object per point, and faster to write and read)."""
    columns = list(zip(*points, strict=True)) if points else [() for _ in FIELDS]
    return {"type": METRICS_REPORTED, RUN: node_record(run),
            POINTS: dict(zip(FIELDS, columns, strict=True))}


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
