"""reportRunMetrics: append a batch of points, move the run's counters, publish the batch.

One transaction: the run's row lock (which orders concurrent reports of one run), the points
written with COPY on the transaction's own connection (not one ORM object per point), the
run's counters, progress and summary, and one audit row. A pending or queued run becomes
running on its first report (see runs.py for the state machine); a finished run takes no
more points. After the commit the batch goes out on `run:{run_id}` as `RunMetricsReported`
(preceded by `RunStatusChanged` when the run just started).

Point ids are time-ordered (UUIDv7 layout) and increase within a process, so points sharing a
step read back, ordered by (step, id), in the order they were reported.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Run
from graphql_schema.context import Info
from graphql_schema.experiments import types
from graphql_schema.experiments.inputs import MetricPoint, ReportRunMetricsInput
from graphql_schema.experiments.payloads import ExperimentErrorCode as Code
from graphql_schema.experiments.payloads import ReportRunMetricsPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.experiments.events import metrics_reported, status_changed
from resolvers.experiments.mutations.common import writable_row
from resolvers.experiments.mutations.runs import (
    FINISHED,
    WAITING,
    mark_running,
    transition_problem,
)
from resolvers.mutations import InvalidInput, Problem, mutation_payload, write
from resolvers.nodes import fresh_node
from resolvers.system.live import publish
from services.pubsub import run_channel

MAX_POINTS = 1000  # per call, as MLflow's log-batch allows
COLUMNS = ("id", "organization_id", "run_id", "step", "epoch", "loss", "accuracy",
           "learning_rate", "gpu_memory_mb", "custom")
PROBLEMS = {"step": "step must be 0 or more", "epoch": "epoch must be 0 or more",
            "custom": "custom must be a JSON object"}
ORDER = tuple(PROBLEMS)


async def report_run_metrics(info: Info, input: ReportRunMetricsInput
                             ) -> ReportRunMetricsPayload:
    run_id = decode_global_id_of(input.run_id, types.Run, field="runId")
    points: list[MetricPoint] = input.points  # type: ignore[assignment]  # see MetricPoint

    async def body() -> ReportRunMetricsPayload:
        problems = point_problems(points)
        async with write(info) as tx:
            run = await writable_row(info, tx.session, Run, run_id, "runId")
            if run.status in FINISHED:
                problems.insert(0, transition_problem(run, "report metrics to"))
            if problems:
                raise InvalidInput(problems)
            started = run.status in WAITING
            if started:
                mark_running(run)
            await copy_points(tx.session, run, points)
            advance(run, points)
            await tx.session.flush()
            await tx.audit("run.report_metrics", resource_type="Run", resource_id=run.id,
                           organization_id=run.organization_id,
                           new={"points": len(points), "first_step": points[0].step,
                                "last_step": points[-1].step, "started": started})
        node = await fresh_node(info, types.Run, run_id)
        if started:
            await publish(info, run_channel(run_id), status_changed(node))
        await publish(info, run_channel(run_id), metrics_reported(node, wire(points)))
        return ReportRunMetricsPayload(run=node, accepted=len(points))

    return await mutation_payload(body, lambda e: ReportRunMetricsPayload(user_errors=e))


def point_problems(points: Sequence[MetricPoint]) -> list[Problem]:
    """Every problem of the batch, one per kind, naming the first point that has it. (GraphQL
    has already checked the types: Int is 32-bit, Float finite.)"""
    if not points:
        return [Problem("points", "Send at least one point", Code.INVALID)]
    if len(points) > MAX_POINTS:
        return [Problem("points", f"At most {MAX_POINTS} points per call (got {len(points)}): "
                                  "send several batches", Code.TOO_MANY_POINTS)]
    first_bad: dict[str, int] = {}
    for i, p in enumerate(points):  # one pass: a batch has up to 1,000 points
        if p.step < 0:
            first_bad.setdefault("step", i)
        if p.epoch is not None and p.epoch < 0:
            first_bad.setdefault("epoch", i)
        if p.custom is not None and not isinstance(p.custom, dict):
            first_bad.setdefault("custom", i)
    return [Problem(f"points.{i}.{field}", f"points[{i}]: {PROBLEMS[field]}", Code.INVALID)
            for field, i in sorted(first_bad.items(), key=lambda item: ORDER.index(item[0]))]


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
    """The batch as the event carries it (events.FIELDS order, custom `{}` when absent)."""
    return [p if p.custom else p._replace(custom={}) for p in points]


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
