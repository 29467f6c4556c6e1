"""Enums of the deployments domain, generated from the values the tables allow."""

from db.models.deployments import APPLICATION_STATUSES, DEPLOYMENT_STATUSES
from graphql_schema.scalars import db_enum

DeploymentStatus = db_enum(
    "DeploymentStatus", DEPLOYMENT_STATUSES, "pending → deploying → running; stopped or failed."
)
ApplicationStatus = db_enum("ApplicationStatus", APPLICATION_STATUSES)
