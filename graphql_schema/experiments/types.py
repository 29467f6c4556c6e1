"""Projects, experiments, runs and their metric points as Relay nodes; relation fields only
call loaders. Runs point into two other domains (dataset, model versions), resolved lazily."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.experiments import (
    EXPERIMENTS_BY_PROJECT,
    METRICS_BY_RUN,
    MODEL_VERSIONS_BY_RUN,
    RUNS_BY_EXPERIMENT,
)
from graphql_schema.experiments.enums import ExperimentStatus, RunStatus
from graphql_schema.experiments.inputs import (
    ExperimentFilter,
    ExperimentOrder,
    RunFilter,
    RunMetricFilter,
    RunMetricOrder,
    RunOrder,
)
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode

IDENTITY = "graphql_schema.identity.types"
AI_MODELS = "graphql_schema.ai_models.types"
AI_MODEL_INPUTS = "graphql_schema.ai_models.inputs"
DATASETS = "graphql_schema.datasets.types"


@strawberry.type(description="A body of ML work: groups experiments, usually one repository.")
class Project(TableNode):
    _table = "projects"
    _live_only = True
    _redacted = ("configuration",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    git_repository_url: str | None
    configuration: JSON = strawberry.field(description="Settings; secrets are redacted.")
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    experiments = connection(
        EXPERIMENTS_BY_PROJECT, lazy("Experiment", __name__), ExperimentFilter, ExperimentOrder,
        description="Experiments of this project.",
    )


@strawberry.type(description="One hypothesis under test: a configuration tried in runs.")
class Experiment(TableNode):
    _table = "experiments"
    _live_only = True
    _redacted = ("configuration",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    status: ExperimentStatus
    git_branch: str | None
    git_commit: str | None
    configuration: JSON = strawberry.field(description="Settings; secrets are redacted.")
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    project_id: strawberry.Private[uuid.UUID]

    project = to_one(Project, "project_id")

    runs = connection(
        RUNS_BY_EXPERIMENT, lazy("Run", __name__), RunFilter, RunOrder,
        description="Runs of this experiment.",
    )


@strawberry.type(description="One training or evaluation execution of an experiment.")
class Run(TableNode):
    _table = "runs"

    id: relay.NodeID[uuid.UUID]
    name: str | None
    status: RunStatus
    hyperparameters: JSON
    summary_metrics: JSON
    progress: float
    current_epoch: int
    total_epochs: int | None
    current_step: int
    total_steps: int | None
    artifacts_location: str | None
    logs_location: str | None
    started_at: datetime | None
    completed_at: datetime | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    experiment_id: strawberry.Private[uuid.UUID]
    dataset_id: strawberry.Private[uuid.UUID | None]
    base_model_version_id: strawberry.Private[uuid.UUID | None]

    experiment = to_one(Experiment, "experiment_id")

    metrics = connection(
        METRICS_BY_RUN, lazy("RunMetric", __name__), RunMetricFilter, RunMetricOrder,
        description="Reported metric points, by step unless told otherwise.",
    )

    dataset = to_one(
        lazy("Dataset", DATASETS), "dataset_id",
        description="The dataset this run trains on.",
    )

    base_model_version = to_one(
        lazy("ModelVersion", AI_MODELS), "base_model_version_id",
        description="The model version this run starts from (fine-tuning).",
    )

    model_versions = connection(
        MODEL_VERSIONS_BY_RUN, lazy("ModelVersion", AI_MODELS),
        lazy("ModelVersionFilter", AI_MODEL_INPUTS), lazy("ModelVersionOrder", AI_MODEL_INPUTS),
        description="Model versions this run produced.",
    )


@strawberry.type(description="One reported point of a run; train and eval may share a step.")
class RunMetric(TableNode):
    _table = "run_metrics"

    id: relay.NodeID[uuid.UUID]
    step: int
    epoch: int | None
    loss: float | None
    accuracy: float | None
    learning_rate: float | None
    gpu_memory_mb: float | None
    custom: JSON
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    run_id: strawberry.Private[uuid.UUID]

    run = to_one(Run, "run_id")
