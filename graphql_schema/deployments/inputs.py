"""Filter and order inputs of the deployments domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.deployments.enums import ApplicationStatus, DeploymentStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Deployments matching all given conditions.")
class DeploymentFilter:
    organization_id: strawberry.ID | None = None
    model_version_id: strawberry.ID | None = None
    application_id: strawberry.ID | None = None
    status: DeploymentStatus | None = None
    status_in: list[DeploymentStatus] | None = None
    environment: str | None = None
    environment_in: list[str] | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class DeploymentOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class DeploymentOrder:
    field: DeploymentOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Applications matching all given conditions.")
class ApplicationFilter:
    organization_id: strawberry.ID | None = None
    status: ApplicationStatus | None = None
    status_in: list[ApplicationStatus] | None = None
    application_type: str | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ApplicationOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ApplicationOrder:
    field: ApplicationOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Application components matching all given conditions.")
class ApplicationComponentFilter:
    component_type: str | None = None
    component_type_in: list[str] | None = None
    name_contains: str | None = None


@strawberry.enum
class ApplicationComponentOrderField(Enum):
    ORDER_INDEX = ("order_index", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ApplicationComponentOrder:
    field: ApplicationComponentOrderField
    direction: OrderDirection = OrderDirection.ASC
