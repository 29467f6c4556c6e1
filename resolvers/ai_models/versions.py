"""createModelVersion and updateModelVersion (status changes: promotion.py).

A new version is a draft. Its artefact fields (where the weights are, their size and files)
can change only while it is a draft: what staging tested is what production serves.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ModelVersion, Run
from graphql_schema.ai_models.inputs import CreateModelVersionInput, UpdateModelVersionInput
from graphql_schema.ai_models.payloads import (
    AiModelErrorCode,
    CreateModelVersionPayload,
    UpdateModelVersionPayload,
)
from graphql_schema.ai_models.types import ModelVersion as ModelVersionNode
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.experiments.types import Run as RunNode
from graphql_schema.relay import decode_global_id_of
from resolvers.ai_models.checks import ARTEFACT_FIELDS, version_values
from resolvers.ai_models.models import PERMISSION, locked_model
from resolvers.datasets.references import same_organization_file
from resolvers.input_checks import Checks, json_or_empty, passed
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import fresh_node

VERSION_INDEX = "uq_model_versions_model_id_version"


def taken(version: str) -> Problem:
    return Problem("version", f"This model already has a version {version!r}",
                   AiModelErrorCode.TAKEN)


async def _same_organization_run(session: AsyncSession, global_id: str | None,
                                 organization_id: uuid.UUID) -> uuid.UUID | None:
    if global_id is None:
        return None
    run_id = decode_global_id_of(global_id, RunNode, field="sourceRunId")
    found = await session.scalar(select(Run.id).where(
        Run.id == run_id, Run.organization_id == organization_id))
    if found is None:
        raise NotFound("No such run in this organization", field="sourceRunId")
    return run_id


async def locked_version(session: AsyncSession, info: Info, global_id: str) -> ModelVersion:
    """The version behind `global_id`, row-locked, once the caller may write its model."""
    version_id = decode_global_id_of(global_id, ModelVersionNode, field="id")
    version = await session.get(ModelVersion, version_id, with_for_update=True)
    if version is None:
        raise NotFound("No such model version", field="id")
    require(info, PERMISSION, version.organization_id)
    return version


async def create_model_version(info: Info, input: CreateModelVersionInput
                               ) -> CreateModelVersionPayload:
    async def body() -> CreateModelVersionPayload:
        async with write(info) as tx:
            model = await locked_model(tx.session, info, input.model_id, field="modelId")
            org_id = model.organization_id
            file_id = await same_organization_file(tx.session, input.file_id, org_id)
            run_id = await _same_organization_run(tx.session, input.source_run_id, org_id)
            c = Checks()
            values = version_values(c, {
                "version": input.version, "description": input.description,
                "storage_location": input.storage_location, "size_bytes": input.size_bytes,
                "metrics": json_or_empty(input.metrics),
                "parameters": json_or_empty(input.parameters),
                "artifacts": json_or_empty(input.artifacts),
            })
            if not c.problems and await tx.session.scalar(select(ModelVersion.id).where(
                    ModelVersion.model_id == model.id,
                    ModelVersion.version == values["version"])) is not None:
                c.problems.append(taken(values["version"]))
            c.raise_if_any()
            version = ModelVersion(organization_id=org_id, model_id=model.id, status="draft",
                                   is_default=False, file_id=file_id, source_run_id=run_id,
                                   created_by=info.context.principal.user_id, **values)
            tx.session.add(version)
            try:
                await tx.session.flush()
            except IntegrityError as clash:
                if VERSION_INDEX in str(clash.orig):
                    raise InvalidInput(taken(values["version"])) from None
                raise
            await tx.audit("model_version.create", resource_type="ModelVersion",
                           resource_id=version.id, organization_id=org_id,
                           new={**values, "model_id": model.id, "file_id": file_id,
                                "source_run_id": run_id})
        node = await fresh_node(info, ModelVersionNode, version.id)
        return CreateModelVersionPayload(model_version=node)

    return await mutation_payload(body, lambda e: CreateModelVersionPayload(user_errors=e))


async def update_model_version(info: Info, input: UpdateModelVersionInput
                               ) -> UpdateModelVersionPayload:
    async def body() -> UpdateModelVersionPayload:
        async with write(info) as tx:
            version = await locked_version(tx.session, info, input.id)
            sent = passed(input)
            c = Checks()
            values: dict[str, Any] = version_values(c, sent)
            if "file_id" in sent:
                values["file_id"] = await same_organization_file(
                    tx.session, sent["file_id"], version.organization_id)
            if version.status != "draft":
                for key, field in ARTEFACT_FIELDS.items():
                    if key in values and values[key] != getattr(version, key):
                        c.add(field, f"{field} can change only while the version is a draft; "
                                     f"it is {version.status}", AiModelErrorCode.VERSION_LOCKED)
            c.raise_if_any()
            changed = {k: v for k, v in values.items() if getattr(version, k) != v}
            old = {k: getattr(version, k) for k in changed}
            for key, value in changed.items():
                setattr(version, key, value)
            await tx.session.flush()
            if changed:
                await tx.audit("model_version.update", resource_type="ModelVersion",
                               resource_id=version.id, organization_id=version.organization_id,
                               old=old, new=changed)
        node = await fresh_node(info, ModelVersionNode, version.id)
        return UpdateModelVersionPayload(model_version=node)

    return await mutation_payload(body, lambda e: UpdateModelVersionPayload(user_errors=e))
