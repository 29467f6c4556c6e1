"""createDataProcessingTask, updateDataProcessingTaskStatus and deleteDataProcessingTask.

A task belongs to the organization of the dataset it reads; its target must be a live dataset
of the same organization (anything else is NOT_FOUND, so nothing elsewhere is revealed). Its
status only moves forward (TRANSITIONS), and a running task is not deleted under its worker.
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
    CreateDataProcessingTaskInput,
    DeleteDataProcessingTaskInput,
    UpdateDataProcessingTaskStatusInput,
)
from graphql_schema.datasets.payloads import (
    CreateDataProcessingTaskPayload,
    DatasetErrorCode,
    DeleteDataProcessingTaskPayload,
    UpdateDataProcessingTaskStatusPayload,
)
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.datasets.checks import DATASET, Rules, clean
from resolvers.datasets.datasets import PERMISSION, locked_dataset
from resolvers.input_checks import Checks, json_or_empty
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node
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
            c.raise_if_any()
            task = DataProcessingTask(organization_id=org_id, source_dataset_id=source.id,
                                      target_dataset_id=target_id, status="pending",
                                      progress=0.0, created_by=info.context.principal.user_id,
                                      **values)
            tx.session.add(task)
            await tx.session.flush()
            await tx.audit("data_processing_task.create", resource_type="DataProcessingTask",
                           resource_id=task.id, organization_id=org_id,
                           new={**values, "configuration": redact_secrets(values["configuration"]),
                                "source_dataset_id": source.id, "target_dataset_id": target_id})
        node = await fresh_node(info, types.DataProcessingTask, task.id)
        return CreateDataProcessingTaskPayload(data_processing_task=node)

    return await mutation_payload(body, lambda e: CreateDataProcessingTaskPayload(user_errors=e))


def _status_changes(c: Checks, task: DataProcessingTask,
                    input: UpdateDataProcessingTaskStatusInput) -> dict[str, Any]:
    """The columns the report changes; its problems go to `c`."""
    status = input.status.value
    if status not in TRANSITIONS.get(task.status, frozenset()):
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
        return UpdateDataProcessingTaskStatusPayload(data_processing_task=node)

    return await mutation_payload(
        body, lambda e: UpdateDataProcessingTaskStatusPayload(user_errors=e))


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
            await tx.audit("data_processing_task.delete", resource_type="DataProcessingTask",
                           resource_id=task.id, organization_id=task.organization_id,
                           old={"name": task.name, "task_type": task.task_type,
                                "status": task.status})
        forget(info, types.DataProcessingTask, task.id)
        return DeleteDataProcessingTaskPayload(
            deleted_data_processing_task_id=relay.to_base64("DataProcessingTask", task.id))

    return await mutation_payload(body, lambda e: DeleteDataProcessingTaskPayload(user_errors=e))
