"""What a new processing task of a type the workers run must have: settings that parse
(services/dataprocessing/configuration.py) and a version of its source dataset with a file.

Problems go to the mutation's Checks, so they come back together as userErrors; a version of
another dataset is NOT_FOUND, so a reference never reveals what exists elsewhere.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DatasetVersion, File
from graphql_schema.datasets import types
from graphql_schema.datasets.payloads import DatasetErrorCode
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.input_checks import Checks
from services.dataprocessing.configuration import TASK_TYPES, ConfigurationError, parse


def runs_on_worker(task_type: str) -> bool:
    return task_type in TASK_TYPES


def check_configuration(c: Checks, task_type: str, configuration: dict[str, Any]) -> None:
    try:
        parse(task_type, configuration)
    except ConfigurationError as error:
        for problem in error.problems:
            c.add("configuration", problem, DatasetErrorCode.INVALID)


async def source_version(session: AsyncSession, c: Checks, dataset_id: uuid.UUID,
                         global_id: str | None, *, needs_file: bool) -> uuid.UUID | None:
    """The named version of the dataset, or (for a task the workers run) its latest version
    with a file; a problem on sourceVersionId when there is none to read."""
    if global_id is not None:
        version_id = decode_global_id_of(global_id, types.DatasetVersion, field="sourceVersionId")
        row = (await session.execute(
            select(DatasetVersion.id, File.id.label("file"))
            .outerjoin(File, (File.id == DatasetVersion.file_id) & File.deleted_at.is_(None))
            .where(DatasetVersion.id == version_id, DatasetVersion.dataset_id == dataset_id))
        ).one_or_none()
        if row is None:
            raise NotFound("No such version of the source dataset", field="sourceVersionId")
        if needs_file and row.file is None:
            c.add("sourceVersionId", "This version has no file to read",
                  DatasetErrorCode.INVALID)
        return version_id
    if not needs_file:
        return None
    latest = await session.scalar(
        select(DatasetVersion.id)
        .join(File, (File.id == DatasetVersion.file_id) & File.deleted_at.is_(None))
        .where(DatasetVersion.dataset_id == dataset_id)
        .order_by(DatasetVersion.created_at.desc(), DatasetVersion.id.desc()).limit(1))
    if latest is None:
        c.add("sourceVersionId", "The dataset has no version with a file to read: add one "
                                 "first", DatasetErrorCode.INVALID)
    return latest
