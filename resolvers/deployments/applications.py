"""createApplication, updateApplication and deleteApplication.

Each needs deployment:manage in the application's organization: NOT_FOUND when the caller
cannot see it, FORBIDDEN when it may only read. Every input problem comes back at once as a
userError and nothing is written; a success writes one audit row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import Application, Deployment
from graphql_schema.context import Info
from graphql_schema.deployments import types
from graphql_schema.deployments.inputs import (
    CreateApplicationInput,
    DeleteApplicationInput,
    UpdateApplicationInput,
)
from graphql_schema.deployments.payloads import (
    ApplicationErrorCode,
    CreateApplicationPayload,
    DeleteApplicationPayload,
    UpdateApplicationPayload,
)
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.input_checks import Checks, json_or_empty, passed
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node

MANAGE = "deployment:manage"
NAME_MAX = 200
# the status machine: where each status may go (staying put is always allowed)
TRANSITIONS = {"draft": ("published", "archived"), "published": ("draft", "archived"),
               "archived": ("draft",)}


RULES: dict[str, Callable[[Checks, Any], Any]] = {
    "name": lambda c, v: c.name("name", v, NAME_MAX),
    "description": lambda c, v: c.text("description", v),
    "application_type": lambda c, v: c.identifier("applicationType", v),
    "configuration": lambda c, v: c.json_object("configuration", v),
    "version": Checks.version,
    "tags": lambda c, v: c.tags("tags", v),
}


def clean(c: Checks, sent: dict[str, Any]) -> dict[str, Any]:
    """Column -> cleaned value, for the sent fields RULES covers (status is checked apart;
    strawberry itself refuses an explicit null for a `Maybe[str]`)."""
    return {key: RULES[key](c, value) for key, value in sent.items() if key in RULES}


async def locked_application(session: AsyncSession, info: Info, global_id: str,
                             field: str = "id") -> Application:
    """The application behind `global_id`, row-locked, once the caller may manage it."""
    application_id = decode_global_id_of(global_id, types.Application, field=field)
    row = await session.get(Application, application_id, with_for_update=True)
    require(info, MANAGE, row.organization_id if row is not None else None)
    assert row is not None  # require() refuses a missing row as NOT_FOUND
    return row


async def create_application(info: Info, input: CreateApplicationInput
                             ) -> CreateApplicationPayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, MANAGE, org_id)

    async def body() -> CreateApplicationPayload:
        c = Checks()
        values = clean(c, {
            "name": input.name, "description": input.description,
            "application_type": input.application_type,
            "configuration": json_or_empty(input.configuration), "version": input.version,
            "tags": input.tags or [],
        })
        c.raise_if_any()
        async with write(info) as tx:
            row = Application(organization_id=org_id, status="draft",
                              created_by=info.context.principal.user_id, **values)
            tx.session.add(row)
            await tx.session.flush()
            await tx.audit("application.create", resource_type="Application",
                           resource_id=row.id, organization_id=org_id,
                           new={**values, "status": "draft"})
        node = await fresh_node(info, types.Application, row.id)
        return CreateApplicationPayload(application=node)

    return await mutation_payload(body, lambda e: CreateApplicationPayload(user_errors=e))


async def update_application(info: Info, input: UpdateApplicationInput
                             ) -> UpdateApplicationPayload:
    async def body() -> UpdateApplicationPayload:
        async with write(info) as tx:
            row = await locked_application(tx.session, info, input.id)
            sent = passed(input)
            c = Checks()
            values = clean(c, sent)
            if "status" in sent:
                values["status"] = _status(c, row.status, sent["status"])
            c.raise_if_any()
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            old = {k: getattr(row, k) for k in changed}
            for key, value in changed.items():
                setattr(row, key, value)
            await tx.session.flush()
            if changed:
                await tx.audit("application.update", resource_type="Application",
                               resource_id=row.id, organization_id=row.organization_id,
                               old=old, new=changed)
        node = await fresh_node(info, types.Application, row.id)
        return UpdateApplicationPayload(application=node)

    return await mutation_payload(body, lambda e: UpdateApplicationPayload(user_errors=e))


def _status(c: Checks, current: str, wanted: str) -> str:
    if wanted != current and wanted not in TRANSITIONS[current]:
        c.add("status", f"An application cannot go from {current} to {wanted}",
              ApplicationErrorCode.INVALID_TRANSITION)
    return wanted


async def delete_application(info: Info, input: DeleteApplicationInput
                             ) -> DeleteApplicationPayload:
    async def body() -> DeleteApplicationPayload:
        async with write(info) as tx:
            row = await locked_application(tx.session, info, input.id)
            if await _deployment_of(tx.session, row.id) is not None:
                raise InvalidInput(Problem("id", "The application still has deployments: "
                                                 "delete them first",
                                           ApplicationErrorCode.IN_USE))
            old = {"name": row.name, "status": row.status}
            await tx.session.delete(row)  # its components go with it (ON DELETE CASCADE)
            await tx.session.flush()
            await tx.audit("application.delete", resource_type="Application",
                           resource_id=row.id, organization_id=row.organization_id, old=old)
        forget(info, types.Application, row.id)
        return DeleteApplicationPayload(
            deleted_application_id=relay.to_base64("Application", row.id))

    return await mutation_payload(body, lambda e: DeleteApplicationPayload(user_errors=e))


async def _deployment_of(session: AsyncSession, application_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Deployment.id).where(
        Deployment.application_id == application_id).limit(1))
