"""Filter and order inputs of the AI-models domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.ai_models.enums import AiModelStatus, ModelVersionStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Models matching all given conditions.")
class AiModelFilter:
    organization_id: strawberry.ID | None = None
    name_contains: str | None = None
    provider: str | None = None
    provider_in: list[str] | None = None
    model_type: str | None = None
    status: AiModelStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class AiModelOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class AiModelOrder:
    field: AiModelOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Model versions matching all given conditions.")
class ModelVersionFilter:
    status: ModelVersionStatus | None = None
    status_in: list[ModelVersionStatus] | None = None
    is_default: bool | None = None
    created_after: datetime | None = None


@strawberry.enum
class ModelVersionOrderField(Enum):
    ID = ("id",)
    VERSION = ("version", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ModelVersionOrder:
    field: ModelVersionOrderField
    direction: OrderDirection = OrderDirection.ASC
