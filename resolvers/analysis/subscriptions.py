"""analysisJobProgress(jobId): an analysis job's status changes and progress, live, from any
process.

The subscription joins the Redis channel `analysis_job:{id}` BEFORE it reads the job, then
sends the job as it is (a first `AnalysisJobStatusChanged`), so nothing committed after that
read is missed. It ends after a final status (completed, failed, cancelled), at once when the
job has already finished. Authorized like `node(id:)`: a job the caller cannot read is
NOT_FOUND. Events are delivered by the channel's shared fan-out on websockets
(graphql_schema/fanout.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import strawberry

from graphql_schema.analysis.events import AnalysisJobProgressed, AnalysisJobStatusChanged
from graphql_schema.analysis.types import AnalysisJob
from graphql_schema.context import Info, Loaders
from graphql_schema.errors import NotFound
from graphql_schema.fanout import Step
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import require_authenticated
from resolvers.system.live import live_events, node_of, published_at, shared
from services.charging.progress import JOB, STATUS_CHANGED
from services.pubsub import analysis_job_channel

FINAL = ("completed", "failed", "cancelled")


async def analysis_job_progress(
    info: Info, job_id: strawberry.ID
) -> AsyncGenerator[AnalysisJobStatusChanged | AnalysisJobProgressed, None]:
    require_authenticated(info)
    key = decode_global_id_of(job_id, AnalysisJob, field="jobId")
    async with live_events(info, analysis_job_channel(key)) as events:
        # a socket's loaders live as long as the socket: read the job afresh
        job = await Loaders(info.context.db, info.context.principal).node(AnalysisJob).load(key)
        if job is None:
            raise NotFound("jobId: no such analysis job", field="jobId")
        yield AnalysisJobStatusChanged(job=job, published_at=datetime.now(UTC))
        if _status(job) in FINAL:
            return
        async for event in events.roots(job_event):
            yield event


def job_event(event: dict[str, Any]) -> Step:
    """The event as subscribers see it (built once per process and event); a final status is
    the stream's last event."""
    def build() -> AnalysisJobStatusChanged | AnalysisJobProgressed:
        job = node_of(AnalysisJob, event, JOB)
        kind = AnalysisJobStatusChanged if event["type"] == STATUS_CHANGED \
            else AnalysisJobProgressed
        return kind(job=job, published_at=published_at(event))

    decoded = shared(event, "AnalysisJobProgressEvent", build)
    return decoded, isinstance(decoded, AnalysisJobStatusChanged) and _status(
        decoded.job) in FINAL


def _status(job: AnalysisJob) -> str:
    return str(getattr(job.status, "value", job.status))
