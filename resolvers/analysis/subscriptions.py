"""analysisJobProgress(jobId): an analysis job's status changes and progress, live, from any
process (the stream is resolvers/system/progress.py's, over the channel `analysis_job:{id}`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_schema.analysis.events import AnalysisJobProgressed, AnalysisJobStatusChanged
from graphql_schema.analysis.types import AnalysisJob
from graphql_schema.context import Info
from resolvers.system.progress import ProgressStream
from services.charging.progress import STATUS_CHANGED
from services.pubsub import analysis_job_channel

STREAM = ProgressStream(AnalysisJob, "job", "analysis job", AnalysisJobStatusChanged,
                        AnalysisJobProgressed, STATUS_CHANGED, analysis_job_channel)


def analysis_job_progress(
    info: Info, job_id: strawberry.ID
) -> AsyncGenerator[AnalysisJobStatusChanged | AnalysisJobProgressed, None]:
    return STREAM.follow(info, job_id)
