"""Root fields of the experiments domain (wiring only)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from db.loaders.experiments import EXPERIMENTS, PROJECTS, RUNS
from graphql_schema.context import Info
from graphql_schema.experiments.events import RunProgressEvent
from graphql_schema.experiments.inputs import (
    CancelRunInput,
    CompleteRunInput,
    CreateExperimentInput,
    CreateProjectInput,
    DeleteExperimentInput,
    DeleteProjectInput,
    ExperimentFilter,
    ExperimentOrder,
    FailRunInput,
    ProjectFilter,
    ProjectOrder,
    ReportRunMetricsInput,
    RunFilter,
    RunOrder,
    StartRunInput,
    StartTrainingJobInput,
    UpdateExperimentInput,
    UpdateProjectInput,
)
from graphql_schema.experiments.payloads import (
    CancelRunPayload,
    CompleteRunPayload,
    CreateExperimentPayload,
    CreateProjectPayload,
    DeleteExperimentPayload,
    DeleteProjectPayload,
    FailRunPayload,
    ReportRunMetricsPayload,
    StartRunPayload,
    StartTrainingJobPayload,
    UpdateExperimentPayload,
    UpdateProjectPayload,
)
from graphql_schema.experiments.types import Experiment, Project, Run
from graphql_schema.relations import connection
from resolvers.experiments import subscriptions
from resolvers.experiments.mutations import (
    experiments,
    projects,
    report_run_metrics,
    runs,
    start_training_job,
)


@strawberry.type
class ExperimentsQuery:
    projects = connection(
        PROJECTS, Project, ProjectFilter, ProjectOrder,
        description="Projects of the organizations you may see.",
    )

    experiments = connection(
        EXPERIMENTS, Experiment, ExperimentFilter, ExperimentOrder,
        description="Experiments of the organizations you may see.",
    )

    runs = connection(
        RUNS, Run, RunFilter, RunOrder,
        description="Training and evaluation runs of the organizations you may see.",
    )


@strawberry.type
class ExperimentsMutation:
    @strawberry.mutation(description="Create a project in an organization.")
    async def create_project(self, info: Info, input: CreateProjectInput
                             ) -> CreateProjectPayload:
        return await projects.create_project(info, input)

    @strawberry.mutation(description="Change a project's name, description, repository, "
                                     "configuration or tags.")
    async def update_project(self, info: Info, input: UpdateProjectInput
                             ) -> UpdateProjectPayload:
        return await projects.update_project(info, input)

    @strawberry.mutation(description="Delete a project and its experiments (soft delete).")
    async def delete_project(self, info: Info, input: DeleteProjectInput
                             ) -> DeleteProjectPayload:
        return await projects.delete_project(info, input)

    @strawberry.mutation(description="Create an experiment in a project.")
    async def create_experiment(self, info: Info, input: CreateExperimentInput
                                ) -> CreateExperimentPayload:
        return await experiments.create_experiment(info, input)

    @strawberry.mutation(description="Change an experiment's fields or status.")
    async def update_experiment(self, info: Info, input: UpdateExperimentInput
                                ) -> UpdateExperimentPayload:
        return await experiments.update_experiment(info, input)

    @strawberry.mutation(description="Delete an experiment (soft delete); its runs are kept.")
    async def delete_experiment(self, info: Info, input: DeleteExperimentInput
                                ) -> DeleteExperimentPayload:
        return await experiments.delete_experiment(info, input)

    @strawberry.mutation(description="Start a run: a new one of an experiment, or a pending "
                                     "or queued one.")
    async def start_run(self, info: Info, input: StartRunInput) -> StartRunPayload:
        return await runs.start_run(info, input)

    @strawberry.mutation(description="Train a scikit-learn classifier on a dataset version on "
                                     "a worker: a queued run of the experiment that reports "
                                     "its metrics per iteration (runProgress) and registers a "
                                     "model version with its ONNX export. Cancelling the run "
                                     "stops the training.")
    async def start_training_job(self, info: Info, input: StartTrainingJobInput
                                 ) -> StartTrainingJobPayload:
        return await start_training_job.start_training_job(info, input)

    @strawberry.mutation(description="Store a batch of up to 1,000 metric points of a run and "
                                     "send them to its runProgress subscribers.")
    async def report_run_metrics(self, info: Info, input: ReportRunMetricsInput
                                 ) -> ReportRunMetricsPayload:
        return await report_run_metrics.report_run_metrics(info, input)

    @strawberry.mutation(description="Finish a running run successfully.")
    async def complete_run(self, info: Info, input: CompleteRunInput) -> CompleteRunPayload:
        return await runs.complete_run(info, input)

    @strawberry.mutation(description="Finish a run as failed, with the error.")
    async def fail_run(self, info: Info, input: FailRunInput) -> FailRunPayload:
        return await runs.fail_run(info, input)

    @strawberry.mutation(description="Stop a run that has not finished.")
    async def cancel_run(self, info: Info, input: CancelRunInput) -> CancelRunPayload:
        return await runs.cancel_run(info, input)


@strawberry.type
class ExperimentsSubscription:
    @strawberry.subscription(description="A run's status changes and metric batches as they "
                                         "are reported. The first event is the run as it is; "
                                         "the stream ends after the run's final status.")
    async def run_progress(self, info: Info, run_id: strawberry.ID
                           ) -> AsyncGenerator[RunProgressEvent, None]:
        async with aclosing(subscriptions.run_progress(info, run_id)) as events:
            async for event in events:  # closed at once when the client goes, so the
                yield event             # Redis channel is left right away
