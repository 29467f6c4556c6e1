"""Root fields of the datasets domain (wiring only): DatasetsQuery, DatasetsMutation,
DataProcessingTasksMutation and DataProcessingTasksSubscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from db.loaders.datasets import DATA_SOURCES, DATASETS, FILES
from graphql_schema.context import Info
from graphql_schema.datasets.events import DataProcessingTaskProgressEvent
from graphql_schema.datasets.inputs import (
    CancelDataProcessingTaskInput,
    CreateDataProcessingTaskInput,
    CreateDatasetInput,
    CreateDatasetVersionInput,
    CreateDataSourceInput,
    DatasetFilter,
    DatasetOrder,
    DataSourceFilter,
    DataSourceOrder,
    DeleteDataProcessingTaskInput,
    DeleteDatasetInput,
    DeleteDataSourceInput,
    FileFilter,
    FileOrder,
    UpdateDataProcessingTaskStatusInput,
    UpdateDatasetInput,
    UpdateDataSourceInput,
)
from graphql_schema.datasets.payloads import (
    CancelDataProcessingTaskPayload,
    CreateDataProcessingTaskPayload,
    CreateDatasetPayload,
    CreateDatasetVersionPayload,
    CreateDataSourcePayload,
    DeleteDataProcessingTaskPayload,
    DeleteDatasetPayload,
    DeleteDataSourcePayload,
    UpdateDataProcessingTaskStatusPayload,
    UpdateDatasetPayload,
    UpdateDataSourcePayload,
)
from graphql_schema.datasets.types import Dataset, DataSource, File
from graphql_schema.relations import connection
from resolvers.datasets import datasets, sources, subscriptions, tasks


@strawberry.type
class DatasetsQuery:
    datasets = connection(
        DATASETS, Dataset, DatasetFilter, DatasetOrder,
        description="Datasets of the organizations you may see.",
    )

    data_sources = connection(
        DATA_SOURCES, DataSource, DataSourceFilter, DataSourceOrder,
        description="Data sources of the organizations you may see.",
    )

    files = connection(
        FILES, File, FileFilter, FileOrder,
        description="Stored files of the organizations you may see.",
    )


@strawberry.type
class DatasetsMutation:
    @strawberry.mutation(description="Create a dataset.")
    async def create_dataset(self, info: Info, input: CreateDatasetInput) -> CreateDatasetPayload:
        return await datasets.create_dataset(info, input)

    @strawberry.mutation(description="Change a dataset's fields; absent fields stay as they are.")
    async def update_dataset(self, info: Info, input: UpdateDatasetInput) -> UpdateDatasetPayload:
        return await datasets.update_dataset(info, input)

    @strawberry.mutation(description="Soft-delete a dataset.")
    async def delete_dataset(self, info: Info, input: DeleteDatasetInput) -> DeleteDatasetPayload:
        return await datasets.delete_dataset(info, input)

    @strawberry.mutation(description="Record a new version (snapshot) of a dataset.")
    async def create_dataset_version(self, info: Info, input: CreateDatasetVersionInput
                                     ) -> CreateDatasetVersionPayload:
        return await datasets.create_dataset_version(info, input)

    @strawberry.mutation(description="Register a data source; its connection info is stored "
                                     "encrypted.")
    async def create_data_source(self, info: Info, input: CreateDataSourceInput
                                 ) -> CreateDataSourcePayload:
        return await sources.create_data_source(info, input)

    @strawberry.mutation(description="Change a data source; absent fields stay as they are.")
    async def update_data_source(self, info: Info, input: UpdateDataSourceInput
                                 ) -> UpdateDataSourcePayload:
        return await sources.update_data_source(info, input)

    @strawberry.mutation(description="Delete a data source and its stored credentials.")
    async def delete_data_source(self, info: Info, input: DeleteDataSourceInput
                                 ) -> DeleteDataSourcePayload:
        return await sources.delete_data_source(info, input)


@strawberry.type
class DataProcessingTasksMutation:
    @strawberry.mutation(description="Create a processing task reading a dataset: profile, "
                                     "clean, split and convert are queued for the workers "
                                     "(status `queued`), other types stay `pending`.")
    async def create_data_processing_task(self, info: Info, input: CreateDataProcessingTaskInput
                                          ) -> CreateDataProcessingTaskPayload:
        return await tasks.create_data_processing_task(info, input)

    @strawberry.mutation(description="Move a processing task to its next status or report its "
                                     "progress.")
    async def update_data_processing_task_status(
        self, info: Info, input: UpdateDataProcessingTaskStatusInput
    ) -> UpdateDataProcessingTaskStatusPayload:
        return await tasks.update_data_processing_task_status(info, input)

    @strawberry.mutation(description="Cancel a task that has not finished; its worker stops.")
    async def cancel_data_processing_task(self, info: Info, input: CancelDataProcessingTaskInput
                                          ) -> CancelDataProcessingTaskPayload:
        return await tasks.cancel_data_processing_task(info, input)

    @strawberry.mutation(description="Delete a processing task that is not running.")
    async def delete_data_processing_task(self, info: Info, input: DeleteDataProcessingTaskInput
                                          ) -> DeleteDataProcessingTaskPayload:
        return await tasks.delete_data_processing_task(info, input)


@strawberry.type
class DataProcessingTasksSubscription:
    @strawberry.subscription(description="A processing task's status changes and progress. The "
                                         "first event is the task as it is; the stream ends "
                                         "after its final status (completed, failed, "
                                         "cancelled).")
    async def data_processing_task_progress(
        self, info: Info, task_id: strawberry.ID
    ) -> AsyncGenerator[DataProcessingTaskProgressEvent, None]:
        async with aclosing(subscriptions.data_processing_task_progress(info, task_id)) as events:
            async for event in events:  # closed at once when the client goes, so the
                yield event             # Redis channel is left right away
