"""Filter and order inputs of the system domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.relay import OrderDirection
from graphql_schema.system.types import LogLevel


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


@strawberry.input(description="Settings matching all given conditions.")
class SystemSettingFilter:
    category: str | None = None
    category_in: list[str] | None = None
    key: str | None = None
    key_contains: str | None = None
    is_public: bool | None = None


@strawberry.enum
class SystemSettingOrderField(Enum):
    KEY = ("category", "key", "id")
    UPDATED_AT = ("updated_at", "id")


@strawberry.input
class SystemSettingOrder:
    field: SystemSettingOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Log records matching all given conditions.")
class SystemLogFilter:
    level: LogLevel | None = None
    level_in: list[LogLevel] | None = None
    module: str | None = None
    logger_name: str | None = None
    request_id: str | None = None
    user_id: strawberry.ID | None = None
    message_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class SystemLogOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class SystemLogOrder:
    field: SystemLogOrderField
    direction: OrderDirection = OrderDirection.DESC
