"""Payloads and userError codes of the analysis mutations."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.analysis.types import AnalysisJob
from graphql_schema.errors import UserError


class AnalysisErrorCode(StrEnum):
    """`userErrors[].code` values of the analysis mutations."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    ACTIVE = "ACTIVE"


@strawberry.type(description="Codes: REQUIRED, INVALID, TOO_LONG.")
class CreateAnalysisJobPayload:
    analysis_job: AnalysisJob | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code INVALID_TRANSITION: the job has already finished.")
class CancelAnalysisJobPayload:
    analysis_job: AnalysisJob | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code ACTIVE: cancel a processing job before deleting it.")
class DeleteAnalysisJobPayload:
    deleted_analysis_job_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
