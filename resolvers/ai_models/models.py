"""createModel, updateModel, deleteModel.

Permission first (NOT_FOUND for what the caller cannot see, FORBIDDEN for what it may see but
not change), then every input problem at once, then the write and its audit row, in one
transaction. A name is unique among an organization's live models: the partial unique index
settles races, the query before it gives the friendly error.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import AIModel, Deployment, ModelVersion
from graphql_schema.ai_models.inputs import CreateModelInput, DeleteModelInput, UpdateModelInput
from graphql_schema.ai_models.payloads import (
    AiModelErrorCode,
    CreateModelPayload,
    DeleteModelPayload,
    UpdateModelPayload,
)
from graphql_schema.ai_models.types import AiModel
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.ai_models.checks import audit_values, model_values
from resolvers.input_checks import Checks, json_or_empty, passed
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node

PERMISSION = "model:write"
LIVE_NAME_INDEX = "uq_ai_models_organization_id_name_live"
LIVE_DEPLOYMENT = ("pending", "deploying", "running")
TAKEN = Problem("name", "A model with this name exists in the organization",
                AiModelErrorCode.TAKEN)


async def _name_taken(session: AsyncSession, organization_id: uuid.UUID, name: str,
                      exclude: uuid.UUID | None = None) -> bool:
    query = select(AIModel.id).where(AIModel.organization_id == organization_id,
                                     AIModel.name == name, AIModel.deleted_at.is_(None))
    if exclude is not None:
        query = query.where(AIModel.id != exclude)
    return await session.scalar(query.limit(1)) is not None


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as clash:  # a concurrent write took the name
        if LIVE_NAME_INDEX in str(clash.orig):
            raise InvalidInput(TAKEN) from None
        raise


async def locked_model(session: AsyncSession, info: Info, global_id: str, field: str = "id"
                       ) -> AIModel:
    """The live model behind `global_id`, row-locked, once the caller may write it."""
    model_id = decode_global_id_of(global_id, AiModel, field=field)
    model = await session.get(AIModel, model_id, with_for_update=True)
    if model is None or model.deleted_at is not None:
        raise NotFound("No such model", field=field)
    require(info, PERMISSION, model.organization_id)
    return model


async def create_model(info: Info, input: CreateModelInput) -> CreateModelPayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, PERMISSION, org_id)

    async def body() -> CreateModelPayload:
        c = Checks()
        values = model_values(c, {
            "name": input.name, "provider": input.provider, "model_type": input.model_type,
            "framework": input.framework, "version": input.version,
            "description": input.description, "config": json_or_empty(input.config),
            "pricing": json_or_empty(input.pricing), "capabilities": input.capabilities or [],
            "status": input.status.value, "max_tokens": input.max_tokens,
            "context_window": input.context_window, "tags": input.tags or [],
        })
        async with write(info) as tx:
            if not any(p.field == "name" for p in c.problems) and await _name_taken(
                    tx.session, org_id, values["name"]):
                c.problems.append(TAKEN)
            c.raise_if_any()
            model = AIModel(organization_id=org_id, created_by=info.context.principal.user_id,
                            **values)
            tx.session.add(model)
            await _flush(tx.session)
            await tx.audit("model.create", resource_type="AiModel", resource_id=model.id,
                           organization_id=org_id, new=audit_values(values))
        return CreateModelPayload(model=await fresh_node(info, AiModel, model.id))

    return await mutation_payload(body, lambda e: CreateModelPayload(user_errors=e))


async def update_model(info: Info, input: UpdateModelInput) -> UpdateModelPayload:
    async def body() -> UpdateModelPayload:
        async with write(info) as tx:
            model = await locked_model(tx.session, info, input.id)
            current = {k: getattr(model, k) for k in ("provider", "config", "max_tokens",
                                                     "context_window")}
            c = Checks()
            sent = passed(input)
            values = model_values(c, sent, current)
            name = values.get("name")
            if name and name != model.name and not any(p.field == "name" for p in c.problems) \
                    and await _name_taken(tx.session, model.organization_id, name, model.id):
                c.problems.append(TAKEN)
            c.raise_if_any()
            changed = {k: v for k, v in values.items() if getattr(model, k) != v}
            old = {k: getattr(model, k) for k in changed}
            for key, value in changed.items():
                setattr(model, key, value)
            await _flush(tx.session)
            if changed:
                await tx.audit("model.update", resource_type="AiModel", resource_id=model.id,
                               organization_id=model.organization_id, old=audit_values(old),
                               new=audit_values(changed))
        return UpdateModelPayload(model=await fresh_node(info, AiModel, model.id))

    return await mutation_payload(body, lambda e: UpdateModelPayload(user_errors=e))


async def delete_model(info: Info, input: DeleteModelInput) -> DeleteModelPayload:
    async def body() -> DeleteModelPayload:
        async with write(info) as tx:
            model = await locked_model(tx.session, info, input.id)
            deployed = await tx.session.scalar(
                select(Deployment.id).join(ModelVersion,
                                           Deployment.model_version_id == ModelVersion.id)
                .where(ModelVersion.model_id == model.id,
                       Deployment.status.in_(LIVE_DEPLOYMENT)).limit(1))
            if deployed is not None:
                raise InvalidInput(Problem("id", "A version of this model is deployed: stop "
                                           "its deployments first", AiModelErrorCode.IN_USE))
            model.deleted_at = datetime.now(UTC)
            await tx.session.flush()
            await tx.audit("model.delete", resource_type="AiModel", resource_id=model.id,
                           organization_id=model.organization_id, old=_summary(model))
        forget(info, AiModel, model.id)
        return DeleteModelPayload(deleted_model_id=relay.to_base64("AiModel", model.id))

    return await mutation_payload(body, lambda e: DeleteModelPayload(user_errors=e))


def _summary(model: AIModel) -> dict[str, Any]:
    return {"name": model.name, "provider": model.provider, "model_type": model.model_type}
