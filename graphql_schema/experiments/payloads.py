"""Payloads of the experiments mutations: the object written, or `userErrors` and nothing
written."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.errors import UserError
from graphql_schema.experiments.types import Experiment, Project, Run


class ExperimentErrorCode(StrEnum):
    """`userErrors[].code` values of the experiments mutations."""

    INVALID = "INVALID"
    TAKEN = "TAKEN"
    WRONG_ORGANIZATION = "WRONG_ORGANIZATION"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    TOO_MANY_POINTS = "TOO_MANY_POINTS"
    UNKNOWN_TRAINER = "UNKNOWN_TRAINER"


@strawberry.type(description="Codes: INVALID, TAKEN (name).")
class CreateProjectPayload:
    project: Project | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, TAKEN (name).")
class UpdateProjectPayload:
    project: Project | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteProjectPayload:
    deleted_project_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code INVALID.")
class CreateExperimentPayload:
    experiment: Experiment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code INVALID.")
class UpdateExperimentPayload:
    experiment: Experiment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteExperimentPayload:
    deleted_experiment_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, WRONG_ORGANIZATION (dataset or model version of "
                             "another organization), INVALID_TRANSITION (not pending/queued).")
class StartRunPayload:
    run: Run | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID (a missing or empty field, hyperparameters the "
                             "trainer does not take, a dataset version without a file), "
                             "UNKNOWN_TRAINER, WRONG_ORGANIZATION (dataset version or model of "
                             "another organization).")
class StartTrainingJobPayload:
    run: Run | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, TOO_MANY_POINTS (over 1,000), INVALID_TRANSITION "
                             "(the run has finished).")
class ReportRunMetricsPayload:
    run: Run | None = None
    accepted: int = strawberry.field(default=0, description="Points stored by this call.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, INVALID_TRANSITION (not running).")
class CompleteRunPayload:
    run: Run | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, INVALID_TRANSITION (already finished).")
class FailRunPayload:
    run: Run | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code INVALID_TRANSITION (already finished).")
class CancelRunPayload:
    run: Run | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
