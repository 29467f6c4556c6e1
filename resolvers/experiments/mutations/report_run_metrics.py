"""reportRunMetrics: append a batch of points, move the run's counters, publish the batch.

One transaction: the run's row lock (which orders concurrent reports of one run), the points
and the run's counters, progress and summary (services/experiments/run_metrics.py, which the
training worker records through too), and one audit row. A pending or queued run becomes
running on its first report (see runs.py for the state machine); a finished run takes no
more points. After the commit the batch goes out on `run:{run_id}` as `RunMetricsReported`
(preceded by `RunStatusChanged` when the run just started).
"""

from __future__ import annotations

from collections.abc import Sequence

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
from services.experiments.run_metrics import advance, copy_points, wire
from services.pubsub import run_channel

MAX_POINTS = 1000  # per call, as MLflow's log-batch allows
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
