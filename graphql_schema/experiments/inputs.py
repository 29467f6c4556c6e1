"""Filter and order inputs of the experiments domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.experiments.enums import ExperimentStatus, RunStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Projects matching all given conditions.")
class ProjectFilter:
    organization_id: strawberry.ID | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ProjectOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ProjectOrder:
    field: ProjectOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Experiments matching all given conditions.")
class ExperimentFilter:
    project_id: strawberry.ID | None = None
    name_contains: str | None = None
    status: ExperimentStatus | None = None
    status_in: list[ExperimentStatus] | None = None
    git_branch: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ExperimentOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")
    UPDATED_AT = ("updated_at", "id")


@strawberry.input
class ExperimentOrder:
    field: ExperimentOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Runs matching all given conditions.")
class RunFilter:
    experiment_id: strawberry.ID | None = None
    dataset_id: strawberry.ID | None = None
    status: RunStatus | None = None
    status_in: list[RunStatus] | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class RunOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")
    UPDATED_AT = ("updated_at", "id")
    PROGRESS = ("progress", "id")


@strawberry.input
class RunOrder:
    field: RunOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Metric points matching all given conditions.")
class RunMetricFilter:
    step_gte: int | None = None
    step_lte: int | None = None
    epoch: int | None = None


@strawberry.enum
class RunMetricOrderField(Enum):
    STEP = ("step", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class RunMetricOrder:
    field: RunMetricOrderField
    direction: OrderDirection = OrderDirection.ASC
