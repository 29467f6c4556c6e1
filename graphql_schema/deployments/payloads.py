"""Payloads and userError codes of the deployment mutations."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.deployments.types import Deployment
from graphql_schema.errors import UserError


class DeploymentErrorCode(StrEnum):
    """`userErrors[].code` values of the deployment mutations."""

    INVALID = "INVALID"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    MODEL_VERSION_ARCHIVED = "MODEL_VERSION_ARCHIVED"
    ACTIVE = "ACTIVE"


@strawberry.type(description="Codes: INVALID, OUT_OF_RANGE, MODEL_VERSION_ARCHIVED.")
class CreateDeploymentPayload:
    deployment: Deployment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, OUT_OF_RANGE.")
class UpdateDeploymentPayload:
    deployment: Deployment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code INVALID_TRANSITION: the status machine does not allow it.")
class UpdateDeploymentStatusPayload:
    deployment: Deployment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code OUT_OF_RANGE: replicas must be 1 to 100.")
class ScaleDeploymentPayload:
    deployment: Deployment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code ACTIVE: stop the deployment before deleting it.")
class DeleteDeploymentPayload:
    deleted_deployment_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
