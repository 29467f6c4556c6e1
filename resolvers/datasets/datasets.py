"""createDataset, updateDataset, deleteDataset and createDatasetVersion.

Permission first (NOT_FOUND for what the caller cannot see, FORBIDDEN for what it may see but
not change), then every input problem at once, then the write and its audit row, in one
transaction. Versions are immutable snapshots: there is no update for them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Dataset, DatasetVersion
from graphql_schema.context import Info
from graphql_schema.datasets import types
from graphql_schema.datasets.inputs import (
    CreateDatasetInput,
    CreateDatasetVersionInput,
    DeleteDatasetInput,
    UpdateDatasetInput,
)
from graphql_schema.datasets.payloads import (
    CreateDatasetPayload,
    CreateDatasetVersionPayload,
    DatasetErrorCode,
    DeleteDatasetPayload,
    UpdateDatasetPayload,
)
from graphql_schema.errors import NotFound
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.datasets.checks import DATASET, DATASET_VERSION, clean
from resolvers.datasets.references import same_organization_file, same_organization_source
from resolvers.input_checks import Checks, json_or_empty, passed
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node

PERMISSION = "dataset:write"
VERSION_INDEX = "uq_dataset_versions_dataset_id_version"


async def locked_dataset(session: AsyncSession, info: Info, global_id: str, field: str = "id"
                         ) -> Dataset:
    """The live dataset behind `global_id`, row-locked, once the caller may write it."""
    dataset_id = decode_global_id_of(global_id, types.Dataset, field=field)
    dataset = await session.get(Dataset, dataset_id, with_for_update=True)
    if dataset is None or dataset.deleted_at is not None:
        raise NotFound("No such dataset", field=field)
    require(info, PERMISSION, dataset.organization_id)
    return dataset


def _audit(values: dict[str, Any]) -> dict[str, Any]:
    return {k.rstrip("_"): v for k, v in values.items()}


async def create_dataset(info: Info, input: CreateDatasetInput) -> CreateDatasetPayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, PERMISSION, org_id)

    async def body() -> CreateDatasetPayload:
        c = Checks()
        values = clean(c, DATASET, {
            "name": input.name, "description": input.description,
            "dataset_type": input.dataset_type, "format": input.format,
            "storage_location": input.storage_location, "size_bytes": input.size_bytes,
            "row_count": input.row_count, "schema": json_or_empty(input.schema),
            "metadata": json_or_empty(input.metadata), "tags": input.tags or [],
            "is_public": input.is_public,
        })
        async with write(info) as tx:
            values["source_id"] = await same_organization_source(tx.session, input.source_id,
                                                                 org_id)
            c.raise_if_any()
            dataset = Dataset(organization_id=org_id, created_by=info.context.principal.user_id,
                              **values)
            tx.session.add(dataset)
            await tx.session.flush()
            await tx.audit("dataset.create", resource_type="Dataset", resource_id=dataset.id,
                           organization_id=org_id, new=_audit(values))
        return CreateDatasetPayload(dataset=await fresh_node(info, types.Dataset, dataset.id))

    return await mutation_payload(body, lambda e: CreateDatasetPayload(user_errors=e))


async def update_dataset(info: Info, input: UpdateDatasetInput) -> UpdateDatasetPayload:
    async def body() -> UpdateDatasetPayload:
        async with write(info) as tx:
            dataset = await locked_dataset(tx.session, info, input.id)
            sent = passed(input)
            c = Checks()
            values = clean(c, DATASET, sent)
            if "source_id" in sent:
                values["source_id"] = await same_organization_source(
                    tx.session, sent["source_id"], dataset.organization_id)
            c.raise_if_any()
            changed = {k: v for k, v in values.items() if getattr(dataset, k) != v}
            old = {k: getattr(dataset, k) for k in changed}
            for key, value in changed.items():
                setattr(dataset, key, value)
            await tx.session.flush()
            if changed:
                await tx.audit("dataset.update", resource_type="Dataset", resource_id=dataset.id,
                               organization_id=dataset.organization_id, old=_audit(old),
                               new=_audit(changed))
        return UpdateDatasetPayload(dataset=await fresh_node(info, types.Dataset, dataset.id))

    return await mutation_payload(body, lambda e: UpdateDatasetPayload(user_errors=e))


async def delete_dataset(info: Info, input: DeleteDatasetInput) -> DeleteDatasetPayload:
    async with write(info) as tx:
        dataset = await locked_dataset(tx.session, info, input.id)
        dataset.deleted_at = datetime.now(UTC)
        await tx.session.flush()
        await tx.audit("dataset.delete", resource_type="Dataset", resource_id=dataset.id,
                       organization_id=dataset.organization_id, old={"name": dataset.name})
    forget(info, types.Dataset, dataset.id)
    return DeleteDatasetPayload(deleted_dataset_id=relay.to_base64("Dataset", dataset.id))


async def create_dataset_version(info: Info, input: CreateDatasetVersionInput
                                 ) -> CreateDatasetVersionPayload:
    async def body() -> CreateDatasetVersionPayload:
        async with write(info) as tx:
            dataset = await locked_dataset(tx.session, info, input.dataset_id, field="datasetId")
            org_id = dataset.organization_id
            file_id = await same_organization_file(tx.session, input.file_id, org_id)
            c = Checks()
            values = clean(c, DATASET_VERSION, {
                "version": input.version, "changes_description": input.changes_description,
                "storage_location": input.storage_location, "size_bytes": input.size_bytes,
                "row_count": input.row_count, "metadata": json_or_empty(input.metadata),
            })
            taken = Problem("version", f"This dataset already has a version "
                                       f"{values['version']!r}", DatasetErrorCode.TAKEN)
            if not c.problems and await tx.session.scalar(select(DatasetVersion.id).where(
                    DatasetVersion.dataset_id == dataset.id,
                    DatasetVersion.version == values["version"])) is not None:
                c.problems.append(taken)
            c.raise_if_any()
            version = DatasetVersion(organization_id=org_id, dataset_id=dataset.id,
                                     file_id=file_id, created_by=info.context.principal.user_id,
                                     **values)
            tx.session.add(version)
            try:
                await tx.session.flush()
            except IntegrityError as clash:  # a concurrent request took the version
                if VERSION_INDEX in str(clash.orig):
                    raise InvalidInput(taken) from None
                raise
            await tx.audit("dataset_version.create", resource_type="DatasetVersion",
                           resource_id=version.id, organization_id=org_id,
                           new={**_audit(values), "dataset_id": dataset.id, "file_id": file_id})
        node = await fresh_node(info, types.DatasetVersion, version.id)
        return CreateDatasetVersionPayload(dataset_version=node)

    return await mutation_payload(body, lambda e: CreateDatasetVersionPayload(user_errors=e))
