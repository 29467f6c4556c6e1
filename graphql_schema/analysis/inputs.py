"""Filter and order inputs of the analysis domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from graphql_schema.analysis.enums import AnalysisJobStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Analysis jobs matching all given conditions.")
class AnalysisJobFilter:
    organization_id: strawberry.ID | None = None
    file_id: strawberry.ID | None = None
    analysis_type: str | None = None
    analysis_type_in: list[str] | None = None
    status: AnalysisJobStatus | None = None
    status_in: list[AnalysisJobStatus] | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class AnalysisJobOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class AnalysisJobOrder:
    field: AnalysisJobOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Analysis results matching all given conditions.")
class AnalysisResultFilter:
    result_type: str | None = None
    result_type_in: list[str] | None = None
    confidence_score_gte: float | None = None
    title_contains: str | None = None


@strawberry.enum
class AnalysisResultOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class AnalysisResultOrder:
    field: AnalysisResultOrderField
    direction: OrderDirection = OrderDirection.ASC


# -- mutation inputs ---------------------------------------------------------------------------


@strawberry.input(description="Start an analysis (status `pending`) of an optional file of the "
                              "same organization. Needs analysis:write.")
class CreateAnalysisJobInput:
    organization_id: strawberry.ID
    name: str
    description: str | None = None
    analysis_type: str = strawberry.field(default="charging", description="charging, anomaly, "
                                          "summary... (a-z, 0-9 and `_`).")
    file_id: strawberry.ID | None = None
    parameters: JSON | None = strawberry.field(default=None,
                                               description="Job settings (a JSON object).")


@strawberry.input(description="Cancel a pending, queued or processing job. Needs "
                              "analysis:write.")
class CancelAnalysisJobInput:
    id: strawberry.ID


@strawberry.input(description="Delete a job and its results; a processing job must be "
                              "cancelled first. Needs analysis:write.")
class DeleteAnalysisJobInput:
    id: strawberry.ID
