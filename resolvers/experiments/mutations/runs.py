"""startRun, completeRun, failRun, cancelRun: the run state machine.

    pending ─┐                      ┌─> completed   (completeRun; from running only)
             ├─> running ───────────┼─> failed      (failRun, with an error message)
    queued ──┘  (startRun, or the   └─> cancelled   (cancelRun)
                 first reportRunMetrics)
    pending, queued ──> failed | cancelled  (a run may fail or be stopped before it starts)

`queued` is a waiting state like `pending` (a scheduler may set it); both start the same way.
completed, failed and cancelled are final: nothing starts, reports to or finishes such a run
again (INVALID_TRANSITION). `startRun` with `experimentId` creates a run that is running at
once. Every change locks the run's row (SELECT ... FOR UPDATE), so two concurrent transitions
of one run are serialized and the second sees the first's result.

After the commit, a status change publishes `RunStatusChanged` on `run:{run_id}`; a finished
run also notifies its creator (a notifications row written in the same transaction, published
on `notifications:{user_id}`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Dataset, Experiment, ModelVersion, Run
from graphql_schema.ai_models.types import ModelVersion as ModelVersionNode
from graphql_schema.context import Info
from graphql_schema.datasets.types import Dataset as DatasetNode
from graphql_schema.experiments import types
from graphql_schema.experiments.inputs import (
    CancelRunInput,
    CompleteRunInput,
    FailRunInput,
    StartRunInput,
)
from graphql_schema.experiments.payloads import (
    CancelRunPayload,
    CompleteRunPayload,
    FailRunPayload,
    StartRunPayload,
)
from graphql_schema.experiments.payloads import ExperimentErrorCode as Code
from graphql_schema.relay import decode_global_id_of
from resolvers.experiments.events import status_changed
from resolvers.experiments.mutations.common import (
    NAME_MAX,
    URL_MAX,
    count_problems,
    object_problems,
    optional_text_problems,
    referenced_row,
    writable_row,
)
from resolvers.mutations import InvalidInput, Problem, Transaction, mutation_payload, write
from resolvers.nodes import fresh_node
from resolvers.system.live import publish
from resolvers.system.notifications import add_notification, publish_notification
from services.pubsub import run_channel
from services.training.task import cancel_training

WAITING = frozenset({"pending", "queued"})
FINISHED = frozenset({"completed", "failed", "cancelled"})
ERROR_MAX = 10_000
FINISH_ACTIONS = {"completed": "run.complete", "failed": "run.fail", "cancelled": "run.cancel"}


def transition_problem(run: Run, action: str) -> Problem:
    return Problem("runId", f"Cannot {action} a {run.status} run", Code.INVALID_TRANSITION)


def mark_running(run: Run) -> None:
    run.status = "running"
    run.started_at = datetime.now(UTC)


async def announce(info: Info, run_id: uuid.UUID, notification: dict[str, Any] | None = None
                   ) -> types.Run:
    """After the commit: publish the run's new state (and its creator's notification)."""
    run = await fresh_node(info, types.Run, run_id)
    await publish(info, run_channel(run_id), status_changed(run))
    if notification is not None:
        await publish_notification(info, notification)
    return run


# ------------------------------------------------------------------ startRun


async def start_run(info: Info, input: StartRunInput) -> StartRunPayload:
    async def body() -> StartRunPayload:
        async with write(info) as tx:
            run, problems = await _run_to_start(info, tx.session, input)
            problems += await _apply_start_fields(info, tx.session, run, input)
            if problems:
                raise InvalidInput(problems)
            mark_running(run)
            await tx.session.flush()
            await tx.audit("run.start", resource_type="Run", resource_id=run.id,
                           organization_id=run.organization_id, new=_run_values(run))
        return StartRunPayload(run=await announce(info, run.id))

    return await mutation_payload(body, lambda e: StartRunPayload(user_errors=e))


async def _run_to_start(info: Info, session: AsyncSession, input: StartRunInput
                        ) -> tuple[Run, list[Problem]]:
    """The waiting run named by runId, or a new one of experimentId. Access to every ID given
    is checked first, so a foreign ID is NOT_FOUND even beside an input problem."""
    run = experiment = None
    if input.run_id is not None:
        run_id = decode_global_id_of(input.run_id, types.Run, field="runId")
        run = await writable_row(info, session, Run, run_id, "runId")
    if input.experiment_id is not None:
        experiment_id = decode_global_id_of(input.experiment_id, types.Experiment,
                                            field="experimentId")
        experiment = await writable_row(info, session, Experiment, experiment_id,
                                        "experimentId")
    if (run is None) == (experiment is None):
        raise InvalidInput(Problem(None, "Give exactly one of experimentId and runId",
                                   Code.INVALID))
    if run is not None:
        return run, [] if run.status in WAITING else [transition_problem(run, "start")]
    assert experiment is not None
    run = Run(organization_id=experiment.organization_id, experiment_id=experiment.id,
              status="pending", created_by=info.context.principal.user_id)
    session.add(run)
    return run, []


async def _apply_start_fields(info: Info, session: AsyncSession, run: Run,
                              input: StartRunInput) -> list[Problem]:
    """Copy the fields given onto the run; the problems of the input, all at once."""
    problems: list[Problem] = []
    if input.name is not None:
        run.name = input.name.strip() or None
        problems += optional_text_problems("name", input.name, NAME_MAX)
    if input.dataset_id is not None:
        dataset_id = decode_global_id_of(input.dataset_id, DatasetNode, field="datasetId")
        await referenced_row(info, session, Dataset, dataset_id, "datasetId",
                             run.organization_id, problems)
        run.dataset_id = dataset_id
    if input.base_model_version_id is not None:
        version_id = decode_global_id_of(input.base_model_version_id, ModelVersionNode,
                                         field="baseModelVersionId")
        await referenced_row(info, session, ModelVersion, version_id, "baseModelVersionId",
                             run.organization_id, problems)
        run.base_model_version_id = version_id
    if input.hyperparameters is not None:
        problems += object_problems("hyperparameters", input.hyperparameters)
        run.hyperparameters = input.hyperparameters
    for field, attribute, value in (("totalEpochs", "total_epochs", input.total_epochs),
                                    ("totalSteps", "total_steps", input.total_steps)):
        if value is not None:
            problems += count_problems(field, value)
            setattr(run, attribute, value)
    return problems


def _run_values(run: Run) -> dict[str, Any]:
    return {"status": run.status, "experiment_id": run.experiment_id, "name": run.name,
            "dataset_id": run.dataset_id, "base_model_version_id": run.base_model_version_id,
            "hyperparameters": run.hyperparameters, "total_epochs": run.total_epochs,
            "total_steps": run.total_steps}


# ------------------------------------------------------------------ finishing


async def finish(tx: Transaction, run: Run, status: str, **changes: Any
                 ) -> dict[str, Any] | None:
    """Move a locked run to a final status, with its audit row and its creator's notification
    in the same transaction; returns the notification's event, to publish after the commit."""
    old = {"status": run.status}
    run.status = status
    run.completed_at = datetime.now(UTC)
    for key, value in changes.items():
        setattr(run, key, value)
    await tx.session.flush()
    await tx.audit(FINISH_ACTIONS[status], resource_type="Run",
                   resource_id=run.id, organization_id=run.organization_id, old=old,
                   new={"status": status, **changes})
    if run.created_by is None:
        return None
    return await add_notification(
        tx.session, user_id=run.created_by, organization_id=run.organization_id,
        kind=f"run.{status}", title=f"Run {run.name or run.id} {status}",
        body=run.error_message, data={"runId": relay.to_base64("Run", run.id), "status": status})


async def complete_run(info: Info, input: CompleteRunInput) -> CompleteRunPayload:
    run_id = decode_global_id_of(input.run_id, types.Run, field="runId")

    async def body() -> CompleteRunPayload:
        problems = (optional_text_problems("artifactsLocation", input.artifacts_location,
                                           URL_MAX)
                    + optional_text_problems("logsLocation", input.logs_location, URL_MAX))
        if input.summary_metrics is not None:
            problems += object_problems("summaryMetrics", input.summary_metrics)
        async with write(info) as tx:
            run = await writable_row(info, tx.session, Run, run_id, "runId")
            if run.status != "running":
                problems.insert(0, transition_problem(run, "complete"))
            if problems:
                raise InvalidInput(problems)
            changes: dict[str, Any] = {"progress": 1.0}
            if input.summary_metrics:
                changes["summary_metrics"] = {**run.summary_metrics, **input.summary_metrics}
            for key in ("artifacts_location", "logs_location"):
                if getattr(input, key) is not None:
                    changes[key] = getattr(input, key)
            notification = await finish(tx, run, "completed", **changes)
        return CompleteRunPayload(run=await announce(info, run_id, notification))

    return await mutation_payload(body, lambda e: CompleteRunPayload(user_errors=e))


async def fail_run(info: Info, input: FailRunInput) -> FailRunPayload:
    run_id = decode_global_id_of(input.run_id, types.Run, field="runId")

    async def body() -> FailRunPayload:
        message = input.error_message.strip()
        problems = [] if message else [Problem("errorMessage", "errorMessage must not be empty",
                                               Code.INVALID)]
        problems += optional_text_problems("errorMessage", message, ERROR_MAX)
        async with write(info) as tx:
            run = await writable_row(info, tx.session, Run, run_id, "runId")
            if run.status in FINISHED:
                problems.insert(0, transition_problem(run, "fail"))
            if problems:
                raise InvalidInput(problems)
            notification = await finish(tx, run, "failed", error_message=message)
        return FailRunPayload(run=await announce(info, run_id, notification))

    return await mutation_payload(body, lambda e: FailRunPayload(user_errors=e))


async def cancel_run(info: Info, input: CancelRunInput) -> CancelRunPayload:
    run_id = decode_global_id_of(input.run_id, types.Run, field="runId")

    async def body() -> CancelRunPayload:
        async with write(info) as tx:
            run = await writable_row(info, tx.session, Run, run_id, "runId")
            if run.status in FINISHED:
                raise InvalidInput(transition_problem(run, "cancel"))
            await cancel_training(tx.session, run.id)  # a training job stops with its run
            notification = await finish(tx, run, "cancelled")
        return CancelRunPayload(run=await announce(info, run_id, notification))

    return await mutation_payload(body, lambda e: CancelRunPayload(user_errors=e))
