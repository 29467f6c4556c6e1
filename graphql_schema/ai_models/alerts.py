"""A model's alert thresholds as Relay nodes, with the filter and order of
`AiModel.alertThresholds` (services/performance_alerts.py compares and notifies)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from graphql_schema.ai_models.enums import AlertDirection
from graphql_schema.ai_models.types import AiModel
from graphql_schema.relations import to_one
from graphql_schema.relay import OrderDirection, TableNode


@strawberry.input(description="Alert thresholds matching all given conditions.")
class ModelAlertThresholdFilter:
    metric_name: str | None = None


@strawberry.enum
class ModelAlertThresholdOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ModelAlertThresholdOrder:
    field: ModelAlertThresholdOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type(description=(
    "A bound on one of a model's per-minute metrics (the whole model's, all versions). When "
    "a minute's value goes past it, the model's owner is notified (kind `model_alert`), once "
    "until a minute is within again."))
class ModelAlertThreshold(TableNode):
    _table = "model_alert_thresholds"

    id: relay.NodeID[uuid.UUID]
    metric_name: str
    direction: AlertDirection
    value: float
    breached_at: datetime | None = strawberry.field(
        description="The minute the metric went past the threshold; null while within.")
    last_value: float | None = strawberry.field(
        description="The metric's value in the last minute compared.")
    evaluated_minute: datetime | None = strawberry.field(
        description="The last minute compared with the threshold.")
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    model_id: strawberry.Private[uuid.UUID]
    created_by: strawberry.Private[uuid.UUID | None]

    model = to_one(AiModel, "model_id")
