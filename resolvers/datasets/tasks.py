"""createDataProcessingTask, updateDataProcessingTaskStatus, cancelDataProcessingTask and
deleteDataProcessingTask.

A task belongs to the organization of the dataset it reads; its target must be a live dataset
of the same organization (anything else is NOT_FOUND, so nothing elsewhere is revealed). A
task of a type the workers run (profile, clean, split, convert) has its settings and source
version checked, is `queued`, and its job is enqueued in the same transaction; other types
stay `pending` for outside tools, which report through updateDataProcessingTaskStatus. Its
status only moves forward (TRANSITIONS), and a running task is not deleted under its worker:
it is cancelled, which stops the worker. Every change goes to `dataProcessingTaskProgress`
subscribers after its commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import DataProcessingTask, Dataset
from graphql_schema.context import Info
from graphql_schema.datasets import types
from graphql_schema.datasets.inputs import (
    CancelDataProcessingTaskInput,
    CreateDataProcessingTaskInput,
    DeleteDataProcessingTaskInput,
    UpdateDataProcessingTaskStatusInput,
)
from graphql_schema.datasets.payloads import (
    CancelDataProcessingTaskPayload,
    CreateDataProcessingTaskPayload,
    DatasetErrorCode,
    DeleteDataProcessingTaskPayload,
    UpdateDataProcessingTaskStatusPayload,
)
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.datasets.checks import DATASET, Rules, clean
from resolvers.datasets.datasets import PERMISSION, locked_dataset
from resolvers.datasets.processing import check_configuration, runs_on_worker, source_version
from resolvers.input_checks import Checks, json_or_empty
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node
from resolvers.system.live import node_record, publish
from services.dataprocessing.dispatch import abort_task, enqueue_task
from services.dataprocessing.progress import PROGRESSED, STATUS_CHANGED
from services.dataprocessing.progress import TASK as TASK_KEY
from services.pubsub import data_processing_task_channel
from services.security.redaction import redact_secrets

TASK: Rules = {
    "name": DATASET["name"],
    "description": DATASET["description"],
    "task_type": lambda c, v: c.identifier("taskType", v),
    "configuration": lambda c, v: c.json_object("configuration", v),
}

# status -> the statuses it may move to; running -> running reports progress
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"queued", "cancelled"}),
    "queued": frozenset({"running", "cancelled"}),
    "running": frozenset({"running", "completed", "failed"}),
}
FINISHED = frozenset({"completed", "failed", "cancelled"})
CANCELLABLE = ("pending", "queued", "running")


async def _same_organization_dataset(session: AsyncSession, global_id: str | None,
                                     organization_id: uuid.UUID, field: str) -> uuid.UUID | None:
    """The id of a live dataset of that organization (None for None)."""
    if global_id is None:
        return None
    dataset_id = decode_global_id_of(global_id, types.Dataset, field=field)
    found = await session.scalar(select(Dataset.id).where(
        Dataset.id == dataset_id, Dataset.organization_id == organization_id,
        Dataset.deleted_at.is_(None)))
    if found is None:
        raise NotFound("No such dataset in this organization", field=field)
    return dataset_id


async def _locked_task(info: Info, session: AsyncSession, global_id: str, field: str
                       ) -> DataProcessingTask:
    task_id = decode_global_id_of(global_id, types.DataProcessingTask, field=field)
    task = await session.get(DataProcessingTask, task_id, with_for_update=True)
    if task is None:
        raise NotFound("No such data processing task", field=field)
    require(info, PERMISSION, task.organization_id)
    return task


async def create_data_processing_task(info: Info, input: CreateDataProcessingTaskInput
                                      ) -> CreateDataProcessingTaskPayload:
    async def body() -> CreateDataProcessingTaskPayload:
        async with write(info) as tx:
            # the source row stays locked so it cannot be deleted under the new task
            source = await locked_dataset(tx.session, info, input.source_dataset_id,
                                          field="sourceDatasetId")
            org_id = source.organization_id
            target_id = await _same_organization_dataset(
                tx.session, input.target_dataset_id, org_id, field="targetDatasetId")
            c = Checks()
            values = clean(c, TASK, {
                "name": input.name, "description": input.description,
                "task_type": input.task_type,
                "configuration": json_or_empty(input.configuration),
            })
            worker = not c.problems and runs_on_worker(values["task_type"])
            if worker:
                check_configuration(c, values["task_type"], values["configuration"])
            version_id = await source_version(tx.session, c, source.id, input.source_version_id,
                                              needs_file=worker)
            c.raise_if_any()
            task = DataProcessingTask(organization_id=org_id, source_dataset_id=source.id,
                                      source_version_id=version_id, target_dataset_id=target_id,
                                      status="queued" if worker else "pending", progress=0.0,
                                      created_by=info.context.principal.user_id, **values)
            tx.session.add(task)
            await tx.session.flush()
            if worker:  # run by a worker once this transaction commits
                await enqueue_task(tx.session, task.id)
            await tx.audit("data_processing_task.create", resource_type="DataProcessingTask",
                           resource_id=task.id, organization_id=org_id,
                           new={**values, "configuration": redact_secrets(values["configuration"]),
                                "source_dataset_id": source.id, "target_dataset_id": target_id,
                                "source_version_id": version_id, "status": task.status})
        node = await fresh_node(info, types.DataProcessingTask, task.id)
        return CreateDataProcessingTaskPayload(data_processing_task=node)

    return await mutation_payload(body, lambda e: CreateDataProcessingTaskPayload(user_errors=e))


def _status_changes(c: Checks, task: DataProcessingTask,
                    input: UpdateDataProcessingTaskStatusInput) -> dict[str, Any]:
    """The columns the report changes; its problems go to `c`."""
    status = input.status.value
    if runs_on_worker(task.task_type):
        c.add("status", f"A {task.task_type} task is moved by its worker; cancel it with "
                        "cancelDataProcessingTask", DatasetErrorCode.INVALID_TRANSITION)
    elif status not in TRANSITIONS.get(task.status, frozenset()):
        c.add("status", f"A {task.status} task cannot become {status}",
              DatasetErrorCode.INVALID_TRANSITION)
    values: dict[str, Any] = {"status": status}
    if input.progress is not None:
        if not 0 <= input.progress <= 100:
            c.add("progress", "progress must be between 0 and 100", DatasetErrorCode.OUT_OF_RANGE)
        values["progress"] = input.progress
    elif status == "completed":
        values["progress"] = 100.0
    if input.error_message is not None:
        values["status_message"] = c.text("errorMessage", input.error_message)
    now = datetime.now(UTC)
    if status == "running" and task.started_at is None:
        values["started_at"] = now
    if status in FINISHED:
        values["completed_at"] = now
    return values


async def update_data_processing_task_status(info: Info,
                                             input: UpdateDataProcessingTaskStatusInput
                                             ) -> UpdateDataProcessingTaskStatusPayload:
    async def body() -> UpdateDataProcessingTaskStatusPayload:
        async with write(info) as tx:
            task = await _locked_task(info, tx.session, input.task_id, field="taskId")
            c = Checks()
            values = _status_changes(c, task, input)
            c.raise_if_any()
            changed = {k: v for k, v in values.items() if getattr(task, k) != v}
            old = {k: getattr(task, k) for k in changed}
            for key, value in changed.items():
                setattr(task, key, value)
            await tx.session.flush()
            if changed:
                await tx.audit("data_processing_task.status", resource_type="DataProcessingTask",
                               resource_id=task.id, organization_id=task.organization_id,
                               old=old, new=changed)
        node = await fresh_node(info, types.DataProcessingTask, task.id)
        if node is not None and changed:
            kind = STATUS_CHANGED if "status" in changed else PROGRESSED
            await publish(info, data_processing_task_channel(task.id),
                          {"type": kind, TASK_KEY: node_record(node)})
        return UpdateDataProcessingTaskStatusPayload(data_processing_task=node)

    return await mutation_payload(
        body, lambda e: UpdateDataProcessingTaskStatusPayload(user_errors=e))


async def cancel_data_processing_task(info: Info, input: CancelDataProcessingTaskInput
                                      ) -> CancelDataProcessingTaskPayload:
    async def body() -> CancelDataProcessingTaskPayload:
        async with write(info) as tx:
            task = await _locked_task(info, tx.session, input.id, field="id")
            if task.status not in CANCELLABLE:
                raise InvalidInput(Problem("id", f"The task is {task.status}: only a pending, "
                                                 "queued or running task can be cancelled",
                                           DatasetErrorCode.INVALID_TRANSITION))
            old = task.status
            task.status = "cancelled"
            task.completed_at = datetime.now(UTC)
            await tx.session.flush()
            await abort_task(tx.session, task.id)
            await tx.audit("data_processing_task.cancel", resource_type="DataProcessingTask",
                           resource_id=task.id, organization_id=task.organization_id,
                           old={"status": old}, new={"status": "cancelled"})
        node = await fresh_node(info, types.DataProcessingTask, task.id)
        if node is not None:
            await publish(info, data_processing_task_channel(task.id),
                          {"type": STATUS_CHANGED, TASK_KEY: node_record(node)})
        return CancelDataProcessingTaskPayload(data_processing_task=node)

    return await mutation_payload(body,
                                  lambda e: CancelDataProcessingTaskPayload(user_errors=e))


async def delete_data_processing_task(info: Info, input: DeleteDataProcessingTaskInput
                                      ) -> DeleteDataProcessingTaskPayload:
    """A hard delete (the table has no deleted_at); a running task keeps its row for its
    worker, which must finish or fail it first."""
    async def body() -> DeleteDataProcessingTaskPayload:
        async with write(info) as tx:
            task = await _locked_task(info, tx.session, input.id, field="id")
            if task.status == "running":
                raise InvalidInput(Problem("id", "A running task cannot be deleted; let it "
                                                 "finish or fail first", DatasetErrorCode.ACTIVE))
            await tx.session.delete(task)
            await tx.session.flush()
            await abort_task(tx.session, task.id)  # a queued job has nothing left to run
            await tx.audit("data_processing_task.delete", resource_type="DataProcessingTask",
                           resource_id=task.id, organization_id=task.organization_id,
                           old={"name": task.name, "task_type": task.task_type,
                                "status": task.status})
        forget(info, types.DataProcessingTask, task.id)
        return DeleteDataProcessingTaskPayload(
            deleted_data_processing_task_id=relay.to_base64("DataProcessingTask", task.id))

    return await mutation_payload(body, lambda e: DeleteDataProcessingTaskPayload(user_errors=e))
