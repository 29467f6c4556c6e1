"""Payloads of the dataset, data-source and processing-task mutations: the object written and
userErrors."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.datasets.types import (
    DataProcessingTask,
    Dataset,
    DatasetVersion,
    DataSource,
)
from graphql_schema.errors import UserError


class DatasetErrorCode(StrEnum):
    """`userErrors[].code` values of the dataset, data-source and processing-task mutations."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID = "INVALID"
    TAKEN = "TAKEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    ACTIVE = "ACTIVE"


FIELD_CODES = "Codes: REQUIRED, TOO_LONG, OUT_OF_RANGE, INVALID."


@strawberry.type(description=FIELD_CODES)
class CreateDatasetPayload:
    dataset: Dataset | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=FIELD_CODES)
class UpdateDatasetPayload:
    dataset: Dataset | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteDatasetPayload:
    deleted_dataset_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=FIELD_CODES + " TAKEN: the dataset has this version already.")
class CreateDatasetVersionPayload:
    dataset_version: DatasetVersion | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=FIELD_CODES)
class CreateDataSourcePayload:
    data_source: DataSource | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=FIELD_CODES)
class UpdateDataSourcePayload:
    data_source: DataSource | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteDataSourcePayload:
    deleted_data_source_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=FIELD_CODES + " For the types the workers run, INVALID on "
                             "configuration names each bad setting, and on sourceVersionId a "
                             "dataset without a version holding a file.")
class CreateDataProcessingTaskPayload:
    data_processing_task: DataProcessingTask | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID_TRANSITION (the status may not follow the "
                             "current one), OUT_OF_RANGE, TOO_LONG.")
class UpdateDataProcessingTaskStatusPayload:
    data_processing_task: DataProcessingTask | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID_TRANSITION (the task has finished).")
class CancelDataProcessingTaskPayload:
    data_processing_task: DataProcessingTask | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: ACTIVE (the task is running).")
class DeleteDataProcessingTaskPayload:
    deleted_data_processing_task_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
