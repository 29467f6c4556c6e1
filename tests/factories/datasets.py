"""Factories of the datasets domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DataProcessingTask, Dataset, DatasetVersion, DataSource, File, Organization

_seq = itertools.count(1)


async def make_data_source(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    source_type: str = "postgresql", connection_info_encrypted: bytes | None = None,
) -> DataSource:
    source = DataSource(organization_id=organization.id, name=name or f"source-{next(_seq)}",
                        source_type=source_type,
                        connection_info_encrypted=connection_info_encrypted)
    session.add(source)
    await session.flush()
    return source


async def make_dataset(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    dataset_type: str = "standard", format: str | None = "parquet",
    source: DataSource | None = None, deleted_at: datetime | None = None,
) -> Dataset:
    dataset = Dataset(organization_id=organization.id, name=name or f"dataset-{next(_seq)}",
                      dataset_type=dataset_type, format=format,
                      source_id=source.id if source else None, deleted_at=deleted_at)
    session.add(dataset)
    await session.flush()
    return dataset


async def make_file(
    session: AsyncSession, *, organization: Organization, filename: str | None = None,
    mime_type: str = "application/octet-stream", size_bytes: int = 0, status: str = "uploaded",
) -> File:
    filename = filename or f"file-{next(_seq)}.bin"
    file = File(organization_id=organization.id, filename=filename, mime_type=mime_type,
                size_bytes=size_bytes, status=status, storage_path=f"uploads/{filename}")
    session.add(file)
    await session.flush()
    return file


async def make_dataset_version(
    session: AsyncSession, *, dataset: Dataset, version: str | None = None,
    file: File | None = None,
) -> DatasetVersion:
    dv = DatasetVersion(organization_id=dataset.organization_id, dataset_id=dataset.id,
                        version=version or f"v{next(_seq)}", file_id=file.id if file else None)
    session.add(dv)
    await session.flush()
    return dv


async def make_processing_task(
    session: AsyncSession, *, source_dataset: Dataset, target_dataset: Dataset | None = None,
    name: str | None = None, task_type: str = "transform", status: str = "pending",
    configuration: dict | None = None, source_version: DatasetVersion | None = None,
) -> DataProcessingTask:
    task = DataProcessingTask(
        organization_id=source_dataset.organization_id, name=name or f"task-{next(_seq)}",
        task_type=task_type, status=status, configuration=configuration or {},
        source_dataset_id=source_dataset.id,
        source_version_id=source_version.id if source_version else None,
        target_dataset_id=target_dataset.id if target_dataset else None,
    )
    session.add(task)
    await session.flush()
    return task
