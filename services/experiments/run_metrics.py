"""Recording a run's metric points, shared by `reportRunMetrics` and the training worker, so
both write the same rows, move the same counters and publish the same events on `run:{id}`.

Points are written with COPY on the caller's transaction (not one ORM object per point). Point
ids are time-ordered (UUIDv7 layout) and increase within a process, so points sharing a step
read back, ordered by (step, id), in the order they were reported.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Run

COLUMNS = ("id", "organization_id", "run_id", "step", "epoch", "loss", "accuracy",
           "learning_rate", "gpu_memory_mb", "custom")
# the wire form of a run's events (decoded by resolvers/experiments/events.py)
STATUS_CHANGED = "RunStatusChanged"
METRICS_REPORTED = "RunMetricsReported"
RUN, POINTS = "run", "points"
FIELDS = ("step", "epoch", "loss", "accuracy", "learning_rate", "gpu_memory_mb", "custom")


class MetricPoint(NamedTuple):
    """One point of a batch, its fields in FIELDS order."""

    step: int
    epoch: int | None
    loss: float | None
    accuracy: float | None
    learning_rate: float | None
    gpu_memory_mb: float | None
    custom: Any


async def copy_points(session: AsyncSession, run: Run, points: Sequence[MetricPoint]
                      ) -> None:
    """COPY the batch into run_metrics on the transaction's connection."""
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    ids = time_ordered_ids(len(points))
    org_id, run_id = str(run.organization_id), str(run.id)  # asyncpg parses text in C
    records = [
        (id_, org_id, run_id, p.step, p.epoch, p.loss, p.accuracy, p.learning_rate,
         p.gpu_memory_mb, orjson.dumps(p.custom).decode() if p.custom else "{}")
        for id_, p in zip(ids, points, strict=True)
    ]
    await driver.copy_records_to_table("run_metrics", records=records, columns=COLUMNS)


def advance(run: Run, points: Sequence[MetricPoint]) -> None:
    """Counters, progress and summary after the batch, in one pass over it. Summary: the
    latest value of each metric (custom numbers too), the best loss and accuracy, and the
    number of points."""
    step, epoch = run.current_step, None
    latest: dict[str, Any] = {}  # the batch's last value of each named metric
    losses, accuracies = [], []
    custom: dict[str, Any] = {}
    for p in points:
        if p.step > step:
            step = p.step
        if p.epoch is not None and (epoch is None or p.epoch > epoch):
            epoch = p.epoch
        if p.loss is not None:
            latest["loss"] = p.loss
            losses.append(p.loss)
        if p.accuracy is not None:
            latest["accuracy"] = p.accuracy
            accuracies.append(p.accuracy)
        if p.learning_rate is not None:
            latest["learning_rate"] = p.learning_rate
        if p.gpu_memory_mb is not None:
            latest["gpu_memory_mb"] = p.gpu_memory_mb
        if p.custom:
            for key, value in p.custom.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    custom[key] = value
    run.current_step = step
    if epoch is not None:
        run.current_epoch = max(run.current_epoch, epoch)
    if run.total_steps:
        run.progress = min(1.0, run.current_step / run.total_steps)
    elif run.total_epochs:
        run.progress = min(1.0, run.current_epoch / run.total_epochs)
    summary: dict[str, Any] = dict(run.summary_metrics)
    summary.update(custom)
    summary.update(latest)
    if losses:
        summary["best_loss"] = min(losses + _list(summary.get("best_loss")))
    if accuracies:
        summary["best_accuracy"] = max(accuracies + _list(summary.get("best_accuracy")))
    summary["points"] = int(summary.get("points", 0)) + len(points)
    run.summary_metrics = summary


def _list(value: Any) -> list[float]:
    return [value] if isinstance(value, (int, float)) else []


def wire(points: Sequence[MetricPoint]) -> list[MetricPoint]:
    """The batch as the event carries it (FIELDS order, custom `{}` when absent)."""
    return [p if p.custom else p._replace(custom={}) for p in points]


def status_changed(run: Mapping[str, Any]) -> dict[str, Any]:
    """The event of a run's new status; `run`: its columns as orjson publishes them."""
    return {"type": STATUS_CHANGED, RUN: dict(run)}


def metrics_reported(run: Mapping[str, Any], points: Sequence[Sequence[Any]]
                     ) -> dict[str, Any]:
    """`points`: tuples of the fields of a point, in FIELDS order. They travel as one list per
    field (half the bytes of one object per point, and faster to write and read)."""
    columns = list(zip(*points, strict=True)) if points else [() for _ in FIELDS]
    return {"type": METRICS_REPORTED, RUN: dict(run),
            POINTS: dict(zip(FIELDS, columns, strict=True))}


_lock = threading.Lock()
_last = 0
_LOW = 2**62 - 1


def time_ordered_ids(n: int) -> list[str]:
    """`n` increasing UUIDs, as the hex strings asyncpg encodes in C (building uuid.UUID
    objects cost more than the COPY): 48 bits of Unix milliseconds, version 7, a counter
    started at a random value each millisecond (RFC 9562 method 2), variant bits."""
    global _last
    with _lock:
        start = max(time.time_ns() // 1_000_000 << 74 | int.from_bytes(os.urandom(8)) >> 4,
                    _last + 1)
        _last = start + n - 1
    first = _layout(start)
    if (first & _LOW) + n - 1 <= _LOW:  # no carry into the variant bits: count in place
        return [f"{v:032x}" for v in range(first, first + n)]
    return [f"{_layout(v):032x}" for v in range(start, start + n)]


def _layout(v: int) -> int:
    """A 122-bit counter value (milliseconds, then 74 counter bits) as a UUIDv7."""
    return v >> 74 << 80 | 0x7 << 76 | (v >> 62 & 0xFFF) << 64 | 0b10 << 62 | v & _LOW
