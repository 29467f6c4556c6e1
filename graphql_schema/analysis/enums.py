"""Enums of the analysis domain, generated from the values the tables allow."""

from db.models.analysis import JOB_STATUSES
from graphql_schema.scalars import db_enum

AnalysisJobStatus = db_enum("AnalysisJobStatus", JOB_STATUSES)
