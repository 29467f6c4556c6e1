"""Payloads and userError codes of the deployment mutations."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.deployments.types import Application, ApplicationComponent, Deployment
from graphql_schema.errors import UserError


class DeploymentErrorCode(StrEnum):
    """`userErrors[].code` values of the deployment mutations."""

    INVALID = "INVALID"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    MODEL_VERSION_ARCHIVED = "MODEL_VERSION_ARCHIVED"
    ACTIVE = "ACTIVE"
    NOT_IN_GROUP = "NOT_IN_GROUP"


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



@strawberry.type(description="Codes: OUT_OF_RANGE (a percentage, or a total other than 100), "
                             "INVALID (no splits, or a deployment named twice), NOT_IN_GROUP "
                             "(a deployment of another name or environment).")
class ShiftTrafficPayload:
    deployments: list[Deployment] | None = strawberry.field(
        default=None, description="Every deployment of the name and environment, by id.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)

class ApplicationErrorCode(StrEnum):
    """`userErrors[].code` values of the application mutations."""

    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    IN_USE = "IN_USE"


@strawberry.type(description="Codes: REQUIRED, INVALID, TOO_LONG.")
class CreateApplicationPayload:
    application: Application | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: REQUIRED, INVALID, TOO_LONG, INVALID_TRANSITION.")
class UpdateApplicationPayload:
    application: Application | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code IN_USE: delete the application's deployments first.")
class DeleteApplicationPayload:
    deleted_application_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: REQUIRED, INVALID, TOO_LONG, OUT_OF_RANGE.")
class AddApplicationComponentPayload:
    application_component: ApplicationComponent | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveApplicationComponentPayload:
    removed_application_component_id: strawberry.ID | None = None
    application: Application | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
