"""Datasets: external data sources, datasets and their versions, processing tasks, and files.

`files` is the metadata of every stored object (uploads, dataset and model artefacts); the
bytes live in the object store under `storage_provider` / `storage_path`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SoftDelete, Timestamps, UUIDPk
from db.models.identity import (
    created_by_fk,
    fk,
    flag,
    ix,
    jsonb_object,
    one_of,
    org_listing,
    organization_fk,
    tags_column,
)

TASK_STATUSES = ("pending", "queued", "running", "completed", "failed", "cancelled")
FILE_STATUSES = ("uploading", "uploaded", "processing", "ready", "failed")


class DataSource(UUIDPk, Timestamps, Base):
    """An external system data is pulled from."""

    __tablename__ = "data_sources"
    __table_args__ = (org_listing("data_sources"),)

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source_type: Mapped[str] = mapped_column(String(50), index=True)
    # credentials, encrypted by the application; never selected by GraphQL reads
    connection_info_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    schema_definition: Mapped[dict[str, Any]] = jsonb_object()
    tags: Mapped[list[str]] = tags_column()
    is_active: Mapped[bool] = flag(True)
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class Dataset(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "datasets"
    __table_args__ = (
        org_listing("datasets"),
        ix("datasets", "organization_id", "name"),
        ix("datasets", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    dataset_type: Mapped[str] = mapped_column(String(50), index=True, server_default="standard")
    format: Mapped[str | None] = mapped_column(String(50))
    storage_location: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    row_count: Mapped[int | None] = mapped_column(Integer)
    schema_: Mapped[dict[str, Any]] = jsonb_object("schema")
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    tags: Mapped[list[str]] = tags_column()
    is_public: Mapped[bool] = flag(False, index=True)
    source_id: Mapped[uuid.UUID | None] = fk("data_sources.id", ondelete="SET NULL", nullable=True)
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class DatasetVersion(UUIDPk, Timestamps, Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version"),
        ix("dataset_versions", "dataset_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    dataset_id: Mapped[uuid.UUID] = fk("datasets.id", ondelete="CASCADE", index=False)
    version: Mapped[str] = mapped_column(String(50))
    storage_location: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    row_count: Mapped[int | None] = mapped_column(Integer)
    changes_description: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    file_id: Mapped[uuid.UUID | None] = fk("files.id", ondelete="SET NULL", nullable=True)
    created_by: Mapped[uuid.UUID | None] = created_by_fk()
    # what a `profile` task measured of the file (services/dataprocessing/profile.py)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # lineage: the version a processing task read to write this one, and that task
    parent_version_id: Mapped[uuid.UUID | None] = fk(
        "dataset_versions.id", ondelete="SET NULL", nullable=True)
    processing_task_id: Mapped[uuid.UUID | None] = fk(
        "data_processing_tasks.id", ondelete="SET NULL", nullable=True, use_alter=True)


class DataProcessingTask(UUIDPk, Timestamps, Base):
    """An ETL/cleaning job from a source or dataset into a target dataset."""

    __tablename__ = "data_processing_tasks"
    __table_args__ = (one_of("status", TASK_STATUSES), org_listing("data_processing_tasks"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    task_type: Mapped[str] = mapped_column(String(50))
    configuration: Mapped[dict[str, Any]] = jsonb_object()
    source_id: Mapped[uuid.UUID | None] = fk("data_sources.id", ondelete="SET NULL", nullable=True)
    source_dataset_id: Mapped[uuid.UUID | None] = fk(
        "datasets.id", ondelete="SET NULL", nullable=True
    )
    # the version a worker-run task reads (its dataset's latest with a file, unless named)
    source_version_id: Mapped[uuid.UUID | None] = fk(
        "dataset_versions.id", ondelete="SET NULL", nullable=True
    )
    target_dataset_id: Mapped[uuid.UUID | None] = fk(
        "datasets.id", ondelete="SET NULL", nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="pending")
    progress: Mapped[float] = mapped_column(Double, server_default=text("0"))
    status_message: Mapped[str | None] = mapped_column(Text)
    execution_logs: Mapped[str | None] = mapped_column(Text)
    external_job_id: Mapped[str | None] = mapped_column(String(200))  # Airflow DAG, Spark job
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class File(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "files"
    __table_args__ = (
        one_of("status", FILE_STATUSES),
        org_listing("files"),
        ix("files", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    original_filename: Mapped[str | None] = mapped_column(String(255))
    file_type: Mapped[str | None] = mapped_column(String(100), index=True)
    mime_type: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    storage_provider: Mapped[str] = mapped_column(String(50), server_default="local")
    storage_path: Mapped[str] = mapped_column(String(1024))
    checksum: Mapped[str | None] = mapped_column(String(128), index=True)  # sha256 hex
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="uploaded")
