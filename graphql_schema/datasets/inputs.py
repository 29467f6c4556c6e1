"""Filter and order inputs of the datasets domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.datasets.enums import DataProcessingTaskStatus, FileStatus
from graphql_schema.relay import OrderDirection


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
