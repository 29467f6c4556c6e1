"""Events of `analysisJobProgress(jobId)`. On the Redis channel `analysis_job:{id}` they are
JSON objects `{"type": ..., "job": {columns}, "published_at": ...}` written by the analysis
(services/charging/progress.py) and by cancelAnalysisJob: the job's committed row travels with
each, so subscribers see the same state in every process without reading the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graphql_schema.analysis.types import AnalysisJob

PUBLISHED_AT_HELP = ("When the server published it; compare with your clock for the delivery "
                     "delay.")


@strawberry.type(description="The job's status changed; also the first event of every "
                             "subscription, with the job as it is then.")
class AnalysisJobStatusChanged:
    job: AnalysisJob
    published_at: datetime = strawberry.field(description=PUBLISHED_AT_HELP)


@strawberry.type(description="The running job read more of its log: `job.progress` (0-100).")
class AnalysisJobProgressed:
    job: AnalysisJob
    published_at: datetime = strawberry.field(description=PUBLISHED_AT_HELP)


AnalysisJobProgressEvent = Annotated[AnalysisJobStatusChanged | AnalysisJobProgressed,
                                     strawberry.union("AnalysisJobProgressEvent")]
