"""Audit log entries and notifications as Relay nodes; relation fields only call loaders.

system_settings and system_logs have no `organization_id`, so they stay out of the generic
scoped read path (db/scope.py has no tenant rule for them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from graphql_schema.context import Info
from graphql_schema.relay import TableNode

if TYPE_CHECKING:
    from graphql_schema.identity.types import Organization, User

IDENTITY = "graphql_schema.identity.types"


@strawberry.type(description="Who changed what, written in the same transaction as the change.")
class AuditLog(TableNode):
    _table = "audit_logs"
    _redacted = ("old_values", "new_values")

    id: relay.NodeID[uuid.UUID]
    action: str
    resource_type: str
    resource_id: str | None
    old_values: JSON | None = strawberry.field(description="Before the change; secrets redacted.")
    new_values: JSON | None = strawberry.field(description="After the change; secrets redacted.")
    ip_address: str | None
    user_agent: str | None
    request_id: str | None
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID | None]
    user_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Null for a platform-level act.")
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import Organization

        return await info.context.loaders.load(Organization, self.organization_id)

    @strawberry.field(description="Who acted; null for the system or a deleted account.")
    async def actor(self, info: Info) -> Annotated[User, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import User

        return await info.context.loaders.load(User, self.user_id)


@strawberry.type(description="A message to one user.")
class Notification(TableNode):
    _table = "notifications"

    id: relay.NodeID[uuid.UUID]
    kind: str
    title: str
    body: str | None
    data: JSON
    read_at: datetime | None
    created_at: datetime
    updated_at: datetime
    user_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import User

        return await info.context.loaders.node(User).load(self.user_id)
