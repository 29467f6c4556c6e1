"""The wire form of a run's events on `run:{run_id}`: built by the mutations after their
commit, decoded by `runProgress` (once per process and event: local subscribers share the
decoded objects, see resolvers/system/live.py)."""

from __future__ import annotations

from typing import Any

from graphql_schema.experiments.events import RunMetricPoint, RunMetricsReported, RunStatusChanged
from graphql_schema.experiments.types import Run
from resolvers.system.live import node_of, node_record, published_at

STATUS_CHANGED = "RunStatusChanged"
METRICS_REPORTED = "RunMetricsReported"
RUN, POINTS = "run", "points"
_DECODED_POINTS = "_decoded_points"  # per-process memo inside a received event


def status_changed(run: Run) -> dict[str, Any]:
    return {"type": STATUS_CHANGED, RUN: node_record(run)}


def metrics_reported(run: Run, points: list[dict[str, Any]]) -> dict[str, Any]:
    """`points`: dicts with the fields of RunMetricPoint."""
    return {"type": METRICS_REPORTED, RUN: node_record(run), POINTS: points}


def decode(event: dict[str, Any]) -> RunStatusChanged | RunMetricsReported:
    run = node_of(Run, event, RUN)
    if event["type"] == STATUS_CHANGED:
        return RunStatusChanged(run=run, published_at=published_at(event))
    points = event.get(_DECODED_POINTS)
    if points is None:
        points = event[_DECODED_POINTS] = [RunMetricPoint(**p) for p in event[POINTS]]
    return RunMetricsReported(run=run, points=points, published_at=published_at(event))
