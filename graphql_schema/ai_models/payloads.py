"""Payloads of the AI-models mutations: the object written (null on failure) and userErrors."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.ai_models.alerts import ModelAlertThreshold
from graphql_schema.ai_models.types import AiModel, ModelVersion
from graphql_schema.errors import UserError


class AiModelErrorCode(StrEnum):
    """`userErrors[].code` values of the model and model-version mutations."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID = "INVALID"
    TAKEN = "TAKEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    VERSION_LOCKED = "VERSION_LOCKED"
    IN_USE = "IN_USE"


FIELD_CODES = "REQUIRED, TOO_LONG, OUT_OF_RANGE, INVALID"


@strawberry.type(description=f"Codes: {FIELD_CODES}, TAKEN (name).")
class CreateModelPayload:
    model: AiModel | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=f"Codes: {FIELD_CODES}, TAKEN (name).")
class UpdateModelPayload:
    model: AiModel | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code IN_USE: a version of the model is deployed.")
class DeleteModelPayload:
    deleted_model_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=f"Codes: {FIELD_CODES}, TAKEN (version).")
class CreateModelVersionPayload:
    model_version: ModelVersion | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description=f"Codes: {FIELD_CODES}, VERSION_LOCKED (artefact fields of a "
                             "version that is no longer a draft).")
class UpdateModelVersionPayload:
    model_version: ModelVersion | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID_TRANSITION, IN_USE (archiving a deployed version). "
                             "`archivedVersion` is the production version this one replaced.")
class PromoteModelVersionPayload:
    model_version: ModelVersion | None = None
    archived_version: ModelVersion | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: REQUIRED (neither above nor below), INVALID (both, or an "
                             "unknown metricName).")
class SetModelAlertThresholdPayload:
    threshold: ModelAlertThreshold | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveModelAlertThresholdPayload:
    removed_threshold_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
