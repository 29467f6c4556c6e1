"""Projects, experiments, runs and their metric points as Relay nodes; relation fields only
call loaders. Runs point into two other domains (dataset, model versions), resolved lazily."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.experiments import (
    EXPERIMENTS_BY_PROJECT,
    METRICS_BY_RUN,
    MODEL_VERSIONS_BY_RUN,
    RUNS_BY_EXPERIMENT,
)
from graphql_schema.context import Info
from graphql_schema.experiments.enums import ExperimentStatus, RunStatus
from graphql_schema.experiments.inputs import (
    ExperimentFilter,
    ExperimentOrder,
    RunFilter,
    RunMetricFilter,
    RunMetricOrder,
    RunOrder,
)
from graphql_schema.relay import Connection, PageArgs, TableNode, resolve_connection

if TYPE_CHECKING:
    from graphql_schema.ai_models.inputs import ModelVersionFilter, ModelVersionOrder
    from graphql_schema.ai_models.types import ModelVersion
    from graphql_schema.datasets.types import Dataset
    from graphql_schema.identity.types import Organization

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

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import Organization

        return await info.context.loaders.node(Organization).load(self.organization_id)

    @strawberry.field(description="Experiments of this project.")
    async def experiments(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ExperimentFilter | None = None, order_by: ExperimentOrder | None = None,
    ) -> Connection[Experiment]:
        return await resolve_connection(info, EXPERIMENTS_BY_PROJECT, Experiment, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


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

    @strawberry.field
    async def project(self, info: Info) -> Project | None:
        return await info.context.loaders.node(Project).load(self.project_id)

    @strawberry.field(description="Runs of this experiment.")
    async def runs(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: RunFilter | None = None, order_by: RunOrder | None = None,
    ) -> Connection[Run]:
        return await resolve_connection(info, RUNS_BY_EXPERIMENT, Run, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


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

    @strawberry.field
    async def experiment(self, info: Info) -> Experiment | None:
        return await info.context.loaders.node(Experiment).load(self.experiment_id)

    @strawberry.field(description="Reported metric points, by step unless told otherwise.")
    async def metrics(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: RunMetricFilter | None = None, order_by: RunMetricOrder | None = None,
    ) -> Connection[RunMetric]:
        return await resolve_connection(info, METRICS_BY_RUN, RunMetric, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="The dataset this run trains on.")
    async def dataset(self, info: Info) -> Annotated[Dataset, strawberry.lazy(DATASETS)] | None:
        from graphql_schema.datasets.types import Dataset

        return await info.context.loaders.load(Dataset, self.dataset_id)

    @strawberry.field(description="The model version this run starts from (fine-tuning).")
    async def base_model_version(
        self, info: Info
    ) -> Annotated[ModelVersion, strawberry.lazy(AI_MODELS)] | None:
        from graphql_schema.ai_models.types import ModelVersion

        return await info.context.loaders.load(ModelVersion, self.base_model_version_id)

    @strawberry.field(description="Model versions this run produced.")
    async def model_versions(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: Annotated[ModelVersionFilter, strawberry.lazy(AI_MODEL_INPUTS)] | None = None,
        order_by: Annotated[ModelVersionOrder, strawberry.lazy(AI_MODEL_INPUTS)] | None = None,
    ) -> Connection[Annotated[ModelVersion, strawberry.lazy(AI_MODELS)]]:
        from graphql_schema.ai_models.types import ModelVersion

        return await resolve_connection(info, MODEL_VERSIONS_BY_RUN, ModelVersion, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


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

    @strawberry.field
    async def run(self, info: Info) -> Run | None:
        return await info.context.loaders.node(Run).load(self.run_id)
