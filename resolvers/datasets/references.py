"""IDs in an input that must point at a row of the same organization as the object written.

Anything else (another type, another organization, a deleted row, no row) is NOT_FOUND, so a
reference never reveals what exists elsewhere.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DataSource, File
from graphql_schema.datasets.types import DataSource as DataSourceNode
from graphql_schema.datasets.types import File as FileNode
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of


async def same_organization_file(session: AsyncSession, global_id: str | None,
                                 organization_id: uuid.UUID, field: str = "fileId"
                                 ) -> uuid.UUID | None:
    """The id of a live file of that organization (None for None)."""
    if global_id is None:
        return None
    file_id = decode_global_id_of(global_id, FileNode, field=field)
    found = await session.scalar(select(File.id).where(
        File.id == file_id, File.organization_id == organization_id, File.deleted_at.is_(None)))
    if found is None:
        raise NotFound("No such file in this organization", field=field)
    return file_id


async def same_organization_source(session: AsyncSession, global_id: str | None,
                                   organization_id: uuid.UUID, field: str = "sourceId"
                                   ) -> uuid.UUID | None:
    """The id of a data source of that organization (None for None)."""
    if global_id is None:
        return None
    source_id = decode_global_id_of(global_id, DataSourceNode, field=field)
    found = await session.scalar(select(DataSource.id).where(
        DataSource.id == source_id, DataSource.organization_id == organization_id))
    if found is None:
        raise NotFound("No such data source in this organization", field=field)
    return source_id
