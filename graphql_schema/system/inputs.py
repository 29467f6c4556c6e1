"""Filter and order inputs of the system domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.relay import OrderDirection


@strawberry.input(description="Audit log entries matching all given conditions.")
class AuditLogFilter:
    user_id: strawberry.ID | None = None
    action: str | None = None
    action_in: list[str] | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class AuditLogOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class AuditLogOrder:
    field: AuditLogOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Notifications matching all given conditions.")
class NotificationFilter:
    kind: str | None = None
    kind_in: list[str] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class NotificationOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class NotificationOrder:
    field: NotificationOrderField
    direction: OrderDirection = OrderDirection.ASC
