"""Datasets, their versions, data sources, processing tasks and files as Relay nodes.

Relation fields only call loaders. Secrets stay on the server: a data source's
`connection_info_encrypted` and a file's `storage_path` are not fields, so they are never
selected, and task configuration has secret-looking keys redacted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.datasets import (
    DATASET_VERSIONS_BY_DATASET,
    DATASET_VERSIONS_BY_PROCESSING_TASK,
    PROCESSING_TASKS_BY_SOURCE_DATASET,
)
from graphql_schema.context import Info
from graphql_schema.datasets.enums import DataProcessingTaskStatus, FileStatus
from graphql_schema.datasets.inputs import (
    DataProcessingTaskFilter,
    DataProcessingTaskOrder,
    DatasetVersionFilter,
    DatasetVersionOrder,
)
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode
from graphql_schema.scalars import BigInt

IDENTITY = "graphql_schema.identity.types"


@strawberry.type(description="An external system data is pulled from (its credentials are "
                             "stored encrypted and never returned).")
class DataSource(TableNode):
    _table = "data_sources"

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    source_type: str
    schema_definition: JSON
    tags: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")


@strawberry.type(description="A named collection of data, versioned, used to train and evaluate.")
class Dataset(TableNode):
    _table = "datasets"
    _live_only = True

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    dataset_type: str
    format: str | None
    storage_location: str | None
    size_bytes: BigInt | None
    row_count: int | None
    schema: JSON
    metadata: JSON
    tags: list[str]
    is_public: bool
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    source_id: strawberry.Private[uuid.UUID | None]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    source = to_one(
        DataSource, "source_id",
        description="The data source this dataset was pulled from.",
    )

    versions = connection(
        DATASET_VERSIONS_BY_DATASET, lazy("DatasetVersion", __name__), DatasetVersionFilter,
        DatasetVersionOrder,
        description="Versions of this dataset.",
    )

    processing_tasks = connection(
        PROCESSING_TASKS_BY_SOURCE_DATASET, lazy("DataProcessingTask", __name__),
        DataProcessingTaskFilter, DataProcessingTaskOrder,
        description="Processing tasks that read this dataset.",
    )


@strawberry.type(description="An immutable snapshot of a dataset.")
class DatasetVersion(TableNode):
    _table = "dataset_versions"

    id: relay.NodeID[uuid.UUID]
    version: str
    storage_location: str | None
    size_bytes: BigInt | None
    row_count: int | None
    changes_description: str | None
    metadata: JSON
    profile: JSON | None = strawberry.field(description=(
        "What a `profile` task measured of this version's file (null until one ran): `rows`, "
        "`columnCount` and per column `name`, `type`, `kind`, `nulls`, `distinct` (non-null "
        "values) and for numbers `min`, `max`, `mean`, `std` and `quantiles`."))
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    dataset_id: strawberry.Private[uuid.UUID]
    file_id: strawberry.Private[uuid.UUID | None]
    parent_version_id: strawberry.Private[uuid.UUID | None]
    processing_task_id: strawberry.Private[uuid.UUID | None]

    dataset = to_one(Dataset, "dataset_id")

    file = to_one(
        lazy("File", __name__), "file_id",
        description="The stored file holding this version's data.",
    )

    parent_version = to_one(
        lazy("DatasetVersion", __name__), "parent_version_id",
        description="The version a processing task read to write this one (lineage).",
    )

    processing_task = to_one(
        lazy("DataProcessingTask", __name__), "processing_task_id",
        description="The processing task that wrote this version, if one did.",
    )


@strawberry.type(description="An ETL or cleaning job from a source or dataset into a dataset.")
class DataProcessingTask(TableNode):
    _table = "data_processing_tasks"
    _redacted = ("configuration",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    task_type: str
    configuration: JSON = strawberry.field(description="Task settings; secrets are redacted.")
    status: DataProcessingTaskStatus
    progress: float
    status_message: str | None
    execution_logs: str | None = strawberry.field(description=(
        "What the task did, a line per step (rows read, removed and written); for the types "
        "the workers run, written when it ends."))
    external_job_id: str | None
    scheduled_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    source_id: strawberry.Private[uuid.UUID | None]
    source_dataset_id: strawberry.Private[uuid.UUID | None]
    target_dataset_id: strawberry.Private[uuid.UUID | None]
    source_version_id: strawberry.Private[uuid.UUID | None]

    source = to_one(DataSource, "source_id", description="The data source the task reads, if any.")

    source_dataset = to_one(
        Dataset, "source_dataset_id",
        description="The dataset the task reads, if any.",
    )

    target_dataset = to_one(
        Dataset, "target_dataset_id",
        description="The dataset the task writes, if any.",
    )

    source_version = to_one(
        DatasetVersion, "source_version_id",
        description="The version the task reads, if any.",
    )

    output_versions = connection(
        DATASET_VERSIONS_BY_PROCESSING_TASK, DatasetVersion, DatasetVersionFilter,
        DatasetVersionOrder,
        description="The versions the task wrote (split: one per part).",
    )


@strawberry.type(description="Metadata of a stored object; the bytes live in the object store.")
class File(TableNode):
    _table = "files"
    _live_only = True

    id: relay.NodeID[uuid.UUID]
    filename: str
    original_filename: str | None
    file_type: str | None
    mime_type: str | None
    size_bytes: BigInt
    storage_provider: str
    checksum: str | None = strawberry.field(description="SHA-256 of the content, hex.")
    metadata: JSON
    status: FileStatus
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID | None]
    storage_path: strawberry.Private[str]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    @strawberry.field(description="A link that downloads the content until it expires "
                                  "(AIPLATFORM_DOWNLOAD_URL_TTL_SECONDS): presigned by S3, or "
                                  "signed and served by this server. Null when the file is "
                                  "kept by another storage than the server's.")
    def download_url(self, info: Info) -> str | None:
        request = info.context.request
        storage = getattr(request.app.state, "storage", None) if request is not None else None
        if storage is None or storage.provider != self.storage_provider:
            return None
        return str(storage.download_url(file_id=self.id, storage_path=self.storage_path,
                                        base_url=str(request.base_url)))

    user = to_one(lazy("User", IDENTITY), "user_id", description="Who uploaded the file.")
