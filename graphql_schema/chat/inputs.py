"""Filter and order inputs of the chat domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.chat.enums import ChatRole, ChatSessionStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Chat sessions matching all given conditions.")
class ChatSessionFilter:
    organization_id: strawberry.ID | None = None
    model_id: strawberry.ID | None = None
    status: ChatSessionStatus | None = None
    title_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ChatSessionOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")
    UPDATED_AT = ("updated_at", "id")


@strawberry.input
class ChatSessionOrder:
    field: ChatSessionOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Chat messages matching all given conditions.")
class ChatMessageFilter:
    role: ChatRole | None = None
    role_in: list[ChatRole] | None = None
    content_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ChatMessageOrderField(Enum):
    SEQUENCE_NUMBER = ("sequence_number", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ChatMessageOrder:
    field: ChatMessageOrderField
    direction: OrderDirection = OrderDirection.ASC
