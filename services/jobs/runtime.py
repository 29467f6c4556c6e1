"""What a running job can reach, and the rules every job runs under.

`resources()` is the running worker's database, Redis, event bus, storage and settings: a task
calls it instead of building its own. The worker middleware (`run_job`) gives each job its
queue's time limit and records its outcome in the metrics; `Backoff` decides when a failed
job runs again.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from procrastinate import JobContext, RetryDecision
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import AbortReason
from procrastinate.retry import BaseRetryStrategy
from redis.asyncio import Redis

from db.session import Database
from services import metrics
from services.jobs.queues import limits
from services.pubsub import PubSub
from services.settings import Settings
from services.storage.base import Storage


@dataclass(frozen=True)
class Resources:
    settings: Settings
    db: Database
    storage: Storage
    redis: Redis | None = None
    pubsub: PubSub | None = None  # None: events are not published (the rows hold the truth)


_current: contextvars.ContextVar[Resources] = contextvars.ContextVar("job_resources")


def resources() -> Resources:
    """The resources of the worker running the current job."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("resources() is for code running inside a job") from None


class JobTimedOut(Exception):
    """The job ran longer than its queue allows (AIPLATFORM_QUEUE_<NAME>_TIMEOUT_SECONDS);
    it is not retried: it would most likely time out again."""


def job_middleware(res: Resources) -> Callable[..., Awaitable[Any]]:
    """A procrastinate worker middleware: wraps every job the worker runs."""

    async def run_job(call_next: Callable[[], Awaitable[Any]], context: JobContext,
                      worker: Any) -> Any:
        queue = context.job.queue
        timeout = limits(res.settings, queue).timeout_seconds
        token = _current.set(res)
        running = metrics.jobs_running(queue)
        running.inc()
        started, outcome = time.monotonic(), "failed"
        try:
            async with asyncio.timeout(timeout):
                result = await call_next()
            outcome = "succeeded"
            return result
        except TimeoutError:
            raise JobTimedOut(f"ran longer than the {queue} queue's {timeout:g} s") from None
        except asyncio.CancelledError:
            outcome = "aborted"
            if context.abort_reason() == AbortReason.USER_REQUEST:
                # final: procrastinate retries a cancelled job, but not an aborted one
                raise JobAborted(f"job {context.job.id} was cancelled") from None
            raise  # a shutdown: the job runs again on the next worker
        finally:
            _current.reset(token)
            running.dec()
            metrics.observe_job(queue, outcome, time.monotonic() - started)

    return run_job


class Backoff(BaseRetryStrategy):
    """Up to AIPLATFORM_JOB_MAX_RETRIES more runs, waiting backoff * 2^(attempt - 1) seconds
    before each (backoff: AIPLATFORM_JOB_RETRY_BACKOFF_SECONDS); a timeout is final, and a job
    a shutdown interrupted runs again at once, whatever its attempts (it did not fail)."""

    MAX_WAIT_SECONDS = 3600.0

    def __init__(self, settings: Settings) -> None:
        self.max_retries = settings.job_max_retries
        self.backoff = settings.job_retry_backoff_seconds

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError):  # aborted by a shutdown: run again
            return RetryDecision(retry_in={"seconds": 0})
        if job.attempts >= self.max_retries or isinstance(exception, JobTimedOut):
            return None
        wait = min(self.backoff * 2 ** job.attempts, self.MAX_WAIT_SECONDS)
        return RetryDecision(retry_in={"seconds": wait})  # type: ignore[typeddict-item]
