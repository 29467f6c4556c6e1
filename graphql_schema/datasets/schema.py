"""Root fields of the datasets domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.datasets import DATA_SOURCES, DATASETS, FILES
from graphql_schema.context import Info
from graphql_schema.datasets.inputs import (
    DatasetFilter,
    DatasetOrder,
    DataSourceFilter,
    DataSourceOrder,
    FileFilter,
    FileOrder,
)
from graphql_schema.datasets.types import Dataset, DataSource, File
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class DatasetsQuery:
    @strawberry.field(description="Datasets of the organizations you may see.")
    async def datasets(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: DatasetFilter | None = None, order_by: DatasetOrder | None = None,
    ) -> Connection[Dataset]:
        return await resolve_connection(info, DATASETS, Dataset, None,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Data sources of the organizations you may see.")
    async def data_sources(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: DataSourceFilter | None = None, order_by: DataSourceOrder | None = None,
    ) -> Connection[DataSource]:
        return await resolve_connection(info, DATA_SOURCES, DataSource, None,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Stored files of the organizations you may see.")
    async def files(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: FileFilter | None = None, order_by: FileOrder | None = None,
    ) -> Connection[File]:
        return await resolve_connection(info, FILES, File, None,
                                        PageArgs(first, after, last, before), filter, order_by)
