"""Inputs of the experiments domain: filters and orders of the connections, then the
mutation inputs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema import fast_variables
from graphql_schema.experiments.enums import ExperimentStatus, RunStatus
from graphql_schema.relay import OrderDirection
from services.experiments.run_metrics import MetricPoint


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


# -- mutation inputs -------------------------------------------------------------------------

TAGS_HELP = "At most 50 tags of 1 to 64 characters; replaces the old list."


@strawberry.input(description="A new project in an organization (needs experiment:write).")
class CreateProjectInput:
    organization_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters, unique in the organization.")
    description: str | None = None
    git_repository_url: str | None = None
    configuration: JSON | None = strawberry.field(default=None,
                                                  description="A JSON object.")
    tags: list[str] | None = strawberry.field(default=None, description=TAGS_HELP)


@strawberry.input(description="Only the fields you pass change; `null` clears an optional one.")
class UpdateProjectInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    git_repository_url: Maybe[str | None]
    configuration: Maybe[JSON] = strawberry.field(description="A JSON object; replaces the old.")
    tags: Maybe[list[str]] = strawberry.field(description=TAGS_HELP)


@strawberry.input(description="Soft-deletes the project and its experiments; runs are kept.")
class DeleteProjectInput:
    id: strawberry.ID


@strawberry.input(description="A new experiment in a project (needs experiment:write).")
class CreateExperimentInput:
    project_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters.")
    description: str | None = None
    git_branch: str | None = None
    git_commit: str | None = strawberry.field(default=None,
                                              description="7 to 64 hexadecimal digits.")
    configuration: JSON | None = strawberry.field(default=None, description="A JSON object.")
    tags: list[str] | None = strawberry.field(default=None, description=TAGS_HELP)


@strawberry.input(description="Only the fields you pass change; `null` clears an optional one.")
class UpdateExperimentInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    status: Maybe[ExperimentStatus]
    git_branch: Maybe[str | None]
    git_commit: Maybe[str | None]
    configuration: Maybe[JSON] = strawberry.field(description="A JSON object; replaces the old.")
    tags: Maybe[list[str]] = strawberry.field(description=TAGS_HELP)


@strawberry.input(description="Soft-deletes the experiment; its runs are kept.")
class DeleteExperimentInput:
    id: strawberry.ID


@strawberry.input(description="Give `experimentId` to create a run that starts now, or `runId` "
                              "to start a pending or queued run (the other fields, when given, "
                              "replace its values). Exactly one of the two.")
class StartRunInput:
    experiment_id: strawberry.ID | None = None
    run_id: strawberry.ID | None = None
    name: str | None = None
    dataset_id: strawberry.ID | None = None
    base_model_version_id: strawberry.ID | None = None
    hyperparameters: JSON | None = strawberry.field(default=None, description="A JSON object.")
    total_epochs: int | None = None
    total_steps: int | None = strawberry.field(
        default=None, description="Progress is currentStep / totalSteps (else by epochs).")


@strawberry.input(description=(
    "Train a model on a worker: a new run of the experiment, queued on `model_training`. "
    "Hyperparameters: `seed` (the validation split's and the estimator's, default 0), "
    "`validation_fraction` (default 0.2), `features` (the columns to use, default every one "
    "but the target) and the trainer's own scikit-learn parameters (docs/training.md)."))
class StartTrainingJobInput:
    experiment_id: strawberry.ID
    dataset_version_id: strawberry.ID = strawberry.field(
        description="A version with a CSV, Parquet or JSON Lines file, of the same organization.")
    trainer: str = strawberry.field(
        description="sklearn-logistic, sklearn-gbdt or sklearn-mlp.")
    target_column: str = strawberry.field(description="The column holding the class labels.")
    hyperparameters: JSON | None = strawberry.field(default=None, description="A JSON object.")
    name: str | None = None
    model_id: strawberry.ID | None = strawberry.field(
        default=None, description="The model to register the trained version under (needs "
                                  "model:write); by default the experiment's own model, created "
                                  "with its first trained version.")


@strawberry.input(description="One metric point; several points may share a step.")
class RunMetricPointInput:
    step: int = strawberry.field(description="0 or more.")
    epoch: int | None = None
    loss: float | None = None
    accuracy: float | None = None
    learning_rate: float | None = None
    gpu_memory_mb: float | None = None
    custom: JSON | None = strawberry.field(default=None,
                                           description="A JSON object of other metrics.")


@strawberry.input(description="A batch of 1 to 1,000 points for a pending, queued or running "
                              "run (a pending or queued run starts running).")
class ReportRunMetricsInput:
    run_id: strawberry.ID
    points: list[RunMetricPointInput]


def _report_from_input(cls: type[ReportRunMetricsInput], value: Mapping[str, Any],
                       context: object) -> ReportRunMetricsInput:
    """The input straight from graphql-core's coerced value (keyed by GraphQL names), its
    points as `MetricPoint` tuples (services/experiments/run_metrics.py).

    A batch holds up to 1,000 points. strawberry's generic conversion (type and name lookups
    for every field of every point) took two thirds of a 1,000-point call, and even one input
    object per point costs three times a tuple. graphql-core has already checked the types, so
    a point is only renamed. Installed with `from_input`, strawberry's hook for input types
    that build their own value.
    """
    report = cls.__new__(cls)
    report.__dict__.update(run_id=value["runId"], points=[
        MetricPoint(p["step"], p.get("epoch"), p.get("loss"), p.get("accuracy"),
                    p.get("learningRate"), p.get("gpuMemoryMb"), p.get("custom"))
        for p in value["points"]])
    return report


ReportRunMetricsInput.__strawberry_definition__.from_input = _report_from_input  # type: ignore[attr-defined]
fast_variables.register("ReportRunMetricsInput")  # graphql-core's coercion was 1/3 of a call


@strawberry.input(description="Finish a running run successfully.")
class CompleteRunInput:
    run_id: strawberry.ID
    summary_metrics: JSON | None = strawberry.field(
        default=None, description="A JSON object merged into the run's summary.")
    artifacts_location: str | None = None
    logs_location: str | None = None


@strawberry.input(description="Finish a pending, queued or running run as failed.")
class FailRunInput:
    run_id: strawberry.ID
    error_message: str = strawberry.field(description="1 to 10,000 characters.")


@strawberry.input(description="Stop a pending, queued or running run.")
class CancelRunInput:
    run_id: strawberry.ID
