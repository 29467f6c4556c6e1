"""Enums of the datasets domain, generated from the values the tables allow."""

from db.models.datasets import FILE_STATUSES, TASK_STATUSES
from graphql_schema.scalars import db_enum

DataProcessingTaskStatus = db_enum("DataProcessingTaskStatus", TASK_STATUSES)
FileStatus = db_enum("FileStatus", FILE_STATUSES, "Upload and processing state of a stored file.")
