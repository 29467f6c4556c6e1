"""An analysis job's progress where others can see it: the Redis key `analysis:progress:{id}`
(a JSON snapshot that expires 30 minutes after its last write, as seed 002 sets it) and the
channel `analysis_job:{id}` that `analysisJobProgress(jobId)` subscribers listen on.

An event is `{"type": STATUS_CHANGED | PROGRESSED, "job": {columns}, "published_at": ...}`:
the job's committed row travels with it, so subscribers need no database read. Both are
written after the commit they describe; a Redis failure is logged and swallowed (the row is
what is durable, DESIGN.md §3).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from redis.asyncio import Redis

from services.pubsub import analysis_job_channel

log = logging.getLogger("aiplatform.charging")
PROGRESS_TTL_SECONDS = 1800
STATUS_CHANGED, PROGRESSED = "AnalysisJobStatusChanged", "AnalysisJobProgressed"
JOB = "job"


def progress_key(job_id: uuid.UUID) -> str:
    return f"analysis:progress:{job_id}"


def job_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """The job's columns as orjson publishes them (UUIDs and decimals as strings)."""
    return {k: str(v) if isinstance(v, (uuid.UUID, Decimal)) else v for k, v in row.items()}


async def report(redis: Redis, kind: str, row: Mapping[str, Any]) -> None:
    """Write the snapshot and publish the event of a committed change of the job `row`."""
    job_id = row["id"]
    now = datetime.now(UTC)
    snapshot = {"jobId": str(job_id), "status": row["status"], "progress": row["progress"],
                "errorMessage": row["error_message"], "updatedAt": now}
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(progress_key(job_id), orjson.dumps(snapshot), ex=PROGRESS_TTL_SECONDS)
            pipe.publish(analysis_job_channel(job_id), orjson.dumps(
                {"type": kind, JOB: job_record(row), "published_at": now}))
            await pipe.execute()
    except Exception:
        log.exception("could not report the progress of analysis job %s", job_id)
