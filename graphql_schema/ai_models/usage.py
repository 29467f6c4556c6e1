"""Usage logs and performance metrics of a model as Relay nodes, with their inputs and enum.

Kept apart from types.py because these are append-only measurements read as histories
(newest first), not catalogue entries; `AiModel.usageLogs` pages them, and
`AiModel.performanceMetrics` answers the metrics as series (series.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.models.ai_models import USAGE_STATUSES
from graphql_schema.ai_models.types import AiModel, ModelVersion
from graphql_schema.relations import lazy, to_one
from graphql_schema.relay import OrderDirection, TableNode
from graphql_schema.scalars import db_enum

IDENTITY = "graphql_schema.identity.types"
CHAT = "graphql_schema.chat.types"

ModelUsageStatus = db_enum("ModelUsageStatus", USAGE_STATUSES, "How a call to a model ended.")


@strawberry.input(description="Usage log entries matching all given conditions.")
class ModelUsageLogFilter:
    user_id: strawberry.ID | None = None
    session_id: strawberry.ID | None = None
    request_type: str | None = None
    status: ModelUsageStatus | None = None
    status_in: list[ModelUsageStatus] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ModelUsageLogOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ModelUsageLogOrder:
    field: ModelUsageLogOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(description="One call to a model: tokens, cost and latency.")
class ModelUsageLog(TableNode):
    _table = "model_usage_logs"

    id: relay.NodeID[uuid.UUID]
    request_type: str
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    cost: Decimal | None
    duration_ms: int | None
    status: ModelUsageStatus
    error_message: str | None
    metadata: JSON
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    model_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID | None]
    session_id: strawberry.Private[uuid.UUID | None]

    model = to_one(AiModel, "model_id")

    user = to_one(
        lazy("User", IDENTITY), "user_id",
        description="Who called; null for a system call or a deleted account.",
    )

    session = to_one(
        lazy("ChatSession", CHAT), "session_id",
        description="The chat session the call served, if any.",
    )


@strawberry.type(description=(
    "A measured value at a moment: of a model version, a model, an organization's models "
    "together (no model) or the whole platform (no organization; superusers only)."))
class PerformanceMetric(TableNode):
    _table = "performance_metrics"

    id: relay.NodeID[uuid.UUID]
    metric_name: str
    metric_value: float
    unit: str | None
    labels: JSON
    recorded_at: datetime
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID | None]
    model_id: strawberry.Private[uuid.UUID | None]
    model_version_id: strawberry.Private[uuid.UUID | None]

    model = to_one(
        AiModel, "model_id",
        description="The model measured; null for an organization's or the platform's row.",
    )

    model_version = to_one(
        ModelVersion, "model_version_id",
        description="The version measured, when the metric is per version.",
    )
