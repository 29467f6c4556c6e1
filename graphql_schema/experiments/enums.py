"""Enums of the experiments domain, generated from the values the tables allow."""

from db.models.experiments import EXPERIMENT_STATUSES, RUN_STATUSES
from graphql_schema.scalars import db_enum

ExperimentStatus = db_enum("ExperimentStatus", EXPERIMENT_STATUSES)
RunStatus = db_enum(
    "RunStatus", RUN_STATUSES, "pending → queued → running → completed, failed or cancelled."
)
