"""Filter, order and mutation inputs of the datasets domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.datasets.enums import DataProcessingTaskStatus, FileStatus
from graphql_schema.relay import OrderDirection
from graphql_schema.scalars import BigInt


@strawberry.input(description="Datasets matching all given conditions.")
class DatasetFilter:
    organization_id: strawberry.ID | None = None
    source_id: strawberry.ID | None = None
    name_contains: str | None = None
    dataset_type: str | None = None
    dataset_type_in: list[str] | None = None
    format: str | None = None
    is_public: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class DatasetOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")
    UPDATED_AT = ("updated_at", "id")


@strawberry.input
class DatasetOrder:
    field: DatasetOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Dataset versions matching all given conditions.")
class DatasetVersionFilter:
    version: str | None = None
    version_in: list[str] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class DatasetVersionOrderField(Enum):
    ID = ("id",)
    VERSION = ("version", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class DatasetVersionOrder:
    field: DatasetVersionOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Data sources matching all given conditions.")
class DataSourceFilter:
    organization_id: strawberry.ID | None = None
    name_contains: str | None = None
    source_type: str | None = None
    source_type_in: list[str] | None = None
    is_active: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class DataSourceOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class DataSourceOrder:
    field: DataSourceOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Data processing tasks matching all given conditions.")
class DataProcessingTaskFilter:
    task_type: str | None = None
    status: DataProcessingTaskStatus | None = None
    status_in: list[DataProcessingTaskStatus] | None = None
    target_dataset_id: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class DataProcessingTaskOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class DataProcessingTaskOrder:
    field: DataProcessingTaskOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Files matching all given conditions.")
class FileFilter:
    organization_id: strawberry.ID | None = None
    filename_contains: str | None = None
    file_type: str | None = None
    mime_type: str | None = None
    mime_type_in: list[str] | None = None
    storage_provider: str | None = None
    checksum: str | None = None
    status: FileStatus | None = None
    status_in: list[FileStatus] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class FileOrderField(Enum):
    ID = ("id",)
    FILENAME = ("filename", "id")
    SIZE_BYTES = ("size_bytes", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class FileOrder:
    field: FileOrderField
    direction: OrderDirection = OrderDirection.ASC


# -- mutation inputs -------------------------------------------------------------------------

KIND_HELP = "A lower-case word: 1 to 50 of a-z, 0-9 and `_`, starting with a letter."
CONNECTION_HELP = ("Credentials and address as a JSON object; stored encrypted and never "
                   "returned. Replaces the stored object; null removes it.")


@strawberry.input(description="A new dataset of an organization. Needs dataset:write there.")
class CreateDatasetInput:
    organization_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters.")
    description: str | None = None
    dataset_type: str = strawberry.field(default="standard", description=KIND_HELP)
    format: str | None = strawberry.field(default=None, description=KIND_HELP)
    storage_location: str | None = None
    size_bytes: BigInt | None = None
    row_count: int | None = None
    schema: JSON | None = strawberry.field(default=None, description="A JSON object.")
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object.")
    tags: list[str] | None = None
    is_public: bool = False
    source_id: strawberry.ID | None = strawberry.field(
        default=None, description="The data source it comes from (same organization).")


@strawberry.input(description="Only the fields you pass change; an explicit null clears a "
                              "nullable one. Needs dataset:write.")
class UpdateDatasetInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    dataset_type: Maybe[str] = strawberry.field(description=KIND_HELP)
    format: Maybe[str | None] = strawberry.field(description=KIND_HELP)
    storage_location: Maybe[str | None]
    size_bytes: Maybe[BigInt | None]
    row_count: Maybe[int | None]
    schema: Maybe[JSON]
    metadata: Maybe[JSON]
    tags: Maybe[list[str]]
    is_public: Maybe[bool]
    source_id: Maybe[strawberry.ID | None]


@strawberry.input(description="Soft-deletes a dataset: it disappears from reads. Needs "
                              "dataset:write.")
class DeleteDatasetInput:
    id: strawberry.ID


@strawberry.input(description="A new snapshot of a dataset. Needs dataset:write.")
class CreateDatasetVersionInput:
    dataset_id: strawberry.ID
    version: str = strawberry.field(description="1 to 50 of letters, digits and `._+-`, unique "
                                                "per dataset.")
    changes_description: str | None = None
    storage_location: str | None = None
    size_bytes: BigInt | None = None
    row_count: int | None = None
    metadata: JSON | None = strawberry.field(default=None, description="A JSON object.")
    file_id: strawberry.ID | None = strawberry.field(
        default=None, description="The stored file holding this version (same organization).")


@strawberry.input(description="A new data source of an organization. Needs dataset:write there.")
class CreateDataSourceInput:
    organization_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters.")
    source_type: str = strawberry.field(description=KIND_HELP + " For example postgresql, "
                                                    "mysql, s3, kafka, http.")
    description: str | None = None
    connection_info: JSON | None = strawberry.field(default=None, description=CONNECTION_HELP)
    schema_definition: JSON | None = strawberry.field(default=None, description="A JSON object.")
    tags: list[str] | None = None
    is_active: bool = True


@strawberry.input(description="Only the fields you pass change. Needs dataset:write.")
class UpdateDataSourceInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    source_type: Maybe[str] = strawberry.field(description=KIND_HELP)
    connection_info: Maybe[JSON | None] = strawberry.field(description=CONNECTION_HELP)
    schema_definition: Maybe[JSON]
    tags: Maybe[list[str]]
    is_active: Maybe[bool]


@strawberry.input(description="Deletes a data source and its stored credentials; its datasets "
                              "stay, without a source. Needs dataset:write.")
class DeleteDataSourceInput:
    id: strawberry.ID


@strawberry.input(description="A new processing task reading a dataset of your organization. "
                              "Needs dataset:write there.")
class CreateDataProcessingTaskInput:
    source_dataset_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters.")
    task_type: str = strawberry.field(description=KIND_HELP + " profile, clean, split and "
                                                  "convert run on the server's workers (see "
                                                  "the docs' data processing page); other "
                                                  "types are recorded for outside tools.")
    configuration: JSON | None = strawberry.field(
        default=None, description="Task settings as a JSON object; secrets are redacted on read. "
                                  "For the types the workers run, its keys are checked here.")
    target_dataset_id: strawberry.ID | None = strawberry.field(
        default=None, description="The dataset the task writes (same organization); new "
                                  "versions go to the source dataset when it is not given.")
    description: str | None = None
    source_version_id: strawberry.ID | None = strawberry.field(
        default=None, description="The version of the source dataset the task reads; for the "
                                  "types the workers run, the dataset's latest version with a "
                                  "file when not given.")


@strawberry.input(description="Moves a task along pending → queued → running → completed | "
                              "failed; pending and queued tasks may be cancelled; a running "
                              "task may report progress without changing status. For "
                              "outside tools: the tasks the workers run (profile, clean, "
                              "split, convert) are moved by their workers only. Needs "
                              "dataset:write.")
class UpdateDataProcessingTaskStatusInput:
    task_id: strawberry.ID
    status: DataProcessingTaskStatus
    progress: float | None = strawberry.field(default=None, description="0 to 100.")
    error_message: str | None = strawberry.field(
        default=None, description="Why the task failed (kept as its statusMessage).")


@strawberry.input(description="Cancels a pending, queued or running task; a running task's "
                              "worker stops. Needs dataset:write.")
class CancelDataProcessingTaskInput:
    id: strawberry.ID


@strawberry.input(description="Deletes a processing task that is not running. Needs "
                              "dataset:write.")
class DeleteDataProcessingTaskInput:
    id: strawberry.ID
