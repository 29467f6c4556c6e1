"""createDataSource, updateDataSource and deleteDataSource.

`connectionInfo` (hosts, users, passwords) is encrypted with AES-GCM before it is written
(services/security/encryption.py), bound to the row's id, and never read back through GraphQL nor
written to the audit trail: the trail only says whether it was set, replaced or removed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import DataSource
from graphql_schema.context import Info
from graphql_schema.datasets import types
from graphql_schema.datasets.inputs import (
    CreateDataSourceInput,
    DeleteDataSourceInput,
    UpdateDataSourceInput,
)
from graphql_schema.datasets.payloads import (
    CreateDataSourcePayload,
    DeleteDataSourcePayload,
    UpdateDataSourcePayload,
)
from graphql_schema.errors import NotFound
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.datasets.checks import DATA_SOURCE, clean
from resolvers.datasets.datasets import PERMISSION
from resolvers.input_checks import Checks, json_or_empty, passed
from resolvers.mutations import mutation_payload, require, write
from resolvers.nodes import forget, fresh_node
from services.security.encryption import connection_info_key, encrypt_json, row_context

TABLE = "data_sources"


def _encrypted(info: Info, source_id: uuid.UUID, connection_info: dict[str, Any] | None
               ) -> bytes | None:
    if connection_info is None:
        return None
    return encrypt_json(connection_info_key(info.context.settings), connection_info,
                        context=row_context(TABLE, source_id))


async def create_data_source(info: Info, input: CreateDataSourceInput
                             ) -> CreateDataSourcePayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, PERMISSION, org_id)

    async def body() -> CreateDataSourcePayload:
        c = Checks()
        values = clean(c, DATA_SOURCE, {
            "name": input.name, "description": input.description,
            "source_type": input.source_type, "tags": input.tags or [],
            "schema_definition": json_or_empty(input.schema_definition),
            "is_active": input.is_active,
        })
        connection_info = (None if input.connection_info is None
                           else c.json_object("connectionInfo", input.connection_info))
        c.raise_if_any()
        source_id = uuid.uuid4()  # known before the insert: the ciphertext is bound to it
        async with write(info) as tx:
            source = DataSource(id=source_id, organization_id=org_id,
                                created_by=info.context.principal.user_id,
                                connection_info_encrypted=_encrypted(info, source_id,
                                                                     connection_info),
                                **values)
            tx.session.add(source)
            await tx.session.flush()
            await tx.audit("data_source.create", resource_type="DataSource",
                           resource_id=source_id, organization_id=org_id,
                           new={**values, "connection_info": "set" if connection_info is not None
                                else None})
        node = await fresh_node(info, types.DataSource, source_id)
        return CreateDataSourcePayload(data_source=node)

    return await mutation_payload(body, lambda e: CreateDataSourcePayload(user_errors=e))


async def _locked_source(info: Info, session: AsyncSession, global_id: str) -> DataSource:
    source_id = decode_global_id_of(global_id, types.DataSource, field="id")
    source = await session.get(DataSource, source_id, with_for_update=True)
    if source is None:
        raise NotFound("No such data source", field="id")
    require(info, PERMISSION, source.organization_id)
    return source


async def update_data_source(info: Info, input: UpdateDataSourceInput
                             ) -> UpdateDataSourcePayload:
    async def body() -> UpdateDataSourcePayload:
        async with write(info) as tx:
            source = await _locked_source(info, tx.session, input.id)
            sent = passed(input)
            c = Checks()
            values = clean(c, DATA_SOURCE, sent)
            if "connection_info" in sent and sent["connection_info"] is not None:
                c.json_object("connectionInfo", sent["connection_info"])
            c.raise_if_any()
            changed = {k: v for k, v in values.items() if getattr(source, k) != v}
            old = {k: getattr(source, k) for k in changed}
            new = dict(changed)
            if "connection_info" in sent:
                info_value = sent["connection_info"]
                old["connection_info"] = ("set" if source.connection_info_encrypted is not None
                                          else None)
                new["connection_info"] = "replaced" if info_value is not None else None
                changed["connection_info_encrypted"] = _encrypted(info, source.id, info_value)
            for key, value in changed.items():
                setattr(source, key, value)
            await tx.session.flush()
            if new:
                await tx.audit("data_source.update", resource_type="DataSource",
                               resource_id=source.id, organization_id=source.organization_id,
                               old=old, new=new)
        node = await fresh_node(info, types.DataSource, source.id)
        return UpdateDataSourcePayload(data_source=node)

    return await mutation_payload(body, lambda e: UpdateDataSourcePayload(user_errors=e))


async def delete_data_source(info: Info, input: DeleteDataSourceInput
                             ) -> DeleteDataSourcePayload:
    """A hard delete (the table has no deleted_at): the credentials must not linger."""
    async with write(info) as tx:
        source = await _locked_source(info, tx.session, input.id)
        await tx.session.delete(source)
        await tx.session.flush()
        await tx.audit("data_source.delete", resource_type="DataSource", resource_id=source.id,
                       organization_id=source.organization_id,
                       old={"name": source.name, "source_type": source.source_type})
    forget(info, types.DataSource, source.id)
    return DeleteDataSourcePayload(deleted_data_source_id=relay.to_base64("DataSource",
                                                                          source.id))
