"""addApplicationComponent and removeApplicationComponent.

A component of a known kind (a deployment, a model version, a dataset, a knowledge
collection) names a row of the application's own organization; anything else there is
NOT_FOUND, so a component never reveals what exists elsewhere. Needs deployment:manage.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import ApplicationComponent, Dataset, Deployment, KnowledgeCollection, ModelVersion
from graphql_schema.ai_models.types import ModelVersion as ModelVersionNode
from graphql_schema.context import Info
from graphql_schema.datasets.types import Dataset as DatasetNode
from graphql_schema.deployments import types
from graphql_schema.deployments.inputs import (
    AddApplicationComponentInput,
    RemoveApplicationComponentInput,
)
from graphql_schema.deployments.payloads import (
    AddApplicationComponentPayload,
    ApplicationErrorCode,
    RemoveApplicationComponentPayload,
)
from graphql_schema.errors import NotFound
from graphql_schema.knowledge.types import KnowledgeCollection as KnowledgeCollectionNode
from graphql_schema.relay import decode_global_id_of
from resolvers.deployments.applications import MANAGE, locked_application
from resolvers.input_checks import Checks, json_or_empty
from resolvers.mutations import mutation_payload, require, write
from resolvers.nodes import forget, fresh_node

NAME_MAX, MAX_ORDER = 200, 10_000
# component_type -> (GraphQL node of componentId, its table)
REFERENCES: dict[str, tuple[Any, Any]] = {
    "deployment": (types.Deployment, Deployment),
    "model_version": (ModelVersionNode, ModelVersion),
    "dataset": (DatasetNode, Dataset),
    "knowledge_collection": (KnowledgeCollectionNode, KnowledgeCollection),
}


async def add_application_component(info: Info, input: AddApplicationComponentInput
                                    ) -> AddApplicationComponentPayload:
    async def body() -> AddApplicationComponentPayload:
        async with write(info) as tx:
            app = await locked_application(tx.session, info, input.application_id,
                                           field="applicationId")
            c = Checks()
            kind = c.identifier("componentType", input.component_type)
            name = c.text("name", input.name, NAME_MAX)
            configuration = c.json_object("configuration", json_or_empty(input.configuration))
            order = c.int_range("orderIndex", input.order_index, 0, MAX_ORDER)
            component_id = await _reference(tx.session, c, kind, input.component_id,
                                            app.organization_id)
            c.raise_if_any()
            if order is None:
                order = await _next_order(tx.session, app.id)
            row = ApplicationComponent(
                organization_id=app.organization_id, application_id=app.id,
                component_type=kind, component_id=component_id, name=name,
                configuration=configuration, order_index=order)
            tx.session.add(row)
            await tx.session.flush()
            await tx.audit("application_component.add", resource_type="ApplicationComponent",
                           resource_id=row.id, organization_id=app.organization_id,
                           new={"application_id": app.id, "component_type": kind,
                                "component_id": component_id, "name": name,
                                "configuration": configuration, "order_index": order})
        node = await fresh_node(info, types.ApplicationComponent, row.id)
        return AddApplicationComponentPayload(application_component=node)

    return await mutation_payload(body, lambda e: AddApplicationComponentPayload(user_errors=e))


async def _reference(session: AsyncSession, c: Checks, kind: str, global_id: str | None,
                     organization_id: uuid.UUID) -> uuid.UUID | None:
    """The row `componentId` names: required for a known kind, of the same organization and
    live; refused for other kinds, which name nothing."""
    if kind not in REFERENCES:
        if global_id is not None:
            c.add("componentId", f"A {kind!r} component names no object: leave componentId out",
                  ApplicationErrorCode.INVALID)
        return None
    if global_id is None:
        c.add("componentId", f"A {kind} component needs componentId",
              ApplicationErrorCode.REQUIRED)
        return None
    node, table = REFERENCES[kind]
    row_id = decode_global_id_of(global_id, node, field="componentId")
    query = select(table.id).where(table.id == row_id, table.organization_id == organization_id)
    if hasattr(table, "deleted_at"):
        query = query.where(table.deleted_at.is_(None))
    if await session.scalar(query) is None:
        raise NotFound(f"No such {kind} in this organization", field="componentId")
    return row_id


async def _next_order(session: AsyncSession, application_id: uuid.UUID) -> int:
    last = await session.scalar(select(func.max(ApplicationComponent.order_index)).where(
        ApplicationComponent.application_id == application_id))
    return 0 if last is None else min(last + 1, MAX_ORDER)


async def remove_application_component(info: Info, input: RemoveApplicationComponentInput
                                       ) -> RemoveApplicationComponentPayload:
    component_id = decode_global_id_of(input.id, types.ApplicationComponent, field="id")
    async with write(info) as tx:
        row = await tx.session.get(ApplicationComponent, component_id, with_for_update=True)
        require(info, MANAGE, row.organization_id if row is not None else None)
        assert row is not None  # require() refuses a missing row as NOT_FOUND
        old = {"application_id": row.application_id, "component_type": row.component_type,
               "component_id": row.component_id, "name": row.name}
        await tx.session.delete(row)
        await tx.session.flush()
        await tx.audit("application_component.remove", resource_type="ApplicationComponent",
                       resource_id=component_id, organization_id=row.organization_id, old=old)
    forget(info, types.ApplicationComponent, component_id)
    return RemoveApplicationComponentPayload(
        removed_application_component_id=relay.to_base64("ApplicationComponent", component_id),
        application=await fresh_node(info, types.Application, old["application_id"]))
