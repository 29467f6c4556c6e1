"""Audit log entries, notifications, platform settings and system logs as Relay nodes;
relation fields only call loaders.

system_settings and system_logs have no `organization_id`: db/scope.py lets everyone read the
public settings and only superusers the rest and the logs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from graphql_schema.context import Info
from graphql_schema.relations import lazy, to_one
from graphql_schema.relay import TableNode
from graphql_schema.scalars import db_enum

if TYPE_CHECKING:
    from graphql_schema.identity.types import User

IDENTITY = "graphql_schema.identity.types"

LogLevel = db_enum("LogLevel", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
                   "Severity of a system log record (Python's logging levels).")


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

    organization = to_one(
        lazy("Organization", IDENTITY), "organization_id",
        description="Null for a platform-level act.",
    )

    actor = to_one(
        lazy("User", IDENTITY), "user_id",
        description="Who acted; null for the system or a deleted account.",
    )


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

    user = to_one(lazy("User", IDENTITY), "user_id")


@strawberry.type(description="A platform setting. Public ones are readable by anyone (also "
                             "without logging in), the others by superusers only.")
class SystemSetting(TableNode):
    _table = "system_settings"
    _redacted = ("value",)

    id: relay.NodeID[uuid.UUID]
    category: str
    key: str
    value: JSON | None = strawberry.field(
        description="The value; always null when `isEncrypted` (see `hasValue`), and values of "
                    "secret-looking keys are masked: store secrets encrypted.")
    description: str | None
    is_public: bool
    is_encrypted: bool
    is_editable: bool = strawberry.field(
        description="False: setSystemSetting and deleteSystemSetting refuse it (NOT_EDITABLE).")
    created_at: datetime
    updated_at: datetime
    updated_by: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_record(cls, record: Any) -> Self:
        node = super().from_record(record)
        node._has_value = node.value is not None
        if node.is_encrypted:
            node.value = None  # the ciphertext is no client's business either
        return node

    @strawberry.field(description="Whether a value is stored (also for encrypted settings, "
                                  "whose value is never returned).")
    def has_value(self) -> bool:
        return self._has_value

    @strawberry.field(name="updatedBy",
                      description="Who set it last; null when unknown or deleted.")
    async def updated_by_user(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import User

        return await info.context.loaders.load(User, self.updated_by)


@strawberry.type(description="A WARNING-or-worse record of the server's own logs, kept in the "
                             "database. Platform-level: superusers only.")
class SystemLog(TableNode):
    _table = "system_logs"
    _redacted = ("metadata",)

    id: relay.NodeID[uuid.UUID]
    level: LogLevel
    module: str = strawberry.field(description="The Python module that logged it.")
    message: str = strawberry.field(description="The message, with secrets masked.")
    logger_name: str | None
    function_name: str | None
    line_number: int | None
    request_id: str | None = strawberry.field(
        description="The request being served (its X-Request-ID header, else one the server "
                    "made up), if any.")
    metadata: JSON = strawberry.field(description="`exception`: the traceback, if one was "
                                                  "logged (secrets masked).")
    ip_address: str | None
    created_at: datetime
    user_id: strawberry.Private[uuid.UUID | None]

    user = to_one(
        lazy("User", IDENTITY), "user_id",
        description="The caller of that request, if known.",
    )
