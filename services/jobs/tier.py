"""A process's share of the worker tier: one procrastinate worker per queue (each with its
queue's concurrency), and the recovery of dead workers' jobs.

`serve` runs one in its lifespan unless AIPLATFORM_RUN_WORKER=false; `aiplatform worker`
runs one as the whole process (app/worker.py). Any number of processes may run them on one
database: PostgreSQL hands each job to one worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from procrastinate import App

from services.jobs.queues import QUEUES, limits
from services.jobs.recovery import retry_stalled_jobs
from services.jobs.registry import build_app, task_specs
from services.jobs.runtime import Resources, job_middleware

log = logging.getLogger("aiplatform.jobs")
# a cancel request reaches a worker by notification at once; this is the fallback's pace
ABORT_POLL_SECONDS = 1.0


class WorkerTier:
    def __init__(self, res: Resources, *, queues: Sequence[str] = QUEUES,
                 concurrency: int | None = None) -> None:
        unknown = set(queues) - set(QUEUES)
        if unknown:
            raise ValueError(f"unknown queues {', '.join(sorted(unknown))}: "
                             f"one of {', '.join(QUEUES)}")
        self.res, self.queues, self.concurrency = res, list(queues), concurrency
        self.app: App = build_app(res.settings, res.db.url, task_specs(res.settings),
                                  pool_size=2 + len(self.queues))
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self.res.settings
        await self.app.open_async()
        middleware = [job_middleware(self.res)]
        for queue in self.queues:
            run = self.app.run_worker_async(
                queues=[queue], name=f"{queue}-worker",
                concurrency=self.concurrency or limits(settings, queue).concurrency,
                install_signal_handlers=False, worker_middleware=middleware,
                fetch_job_polling_interval=settings.worker_heartbeat_seconds,
                abort_job_polling_interval=ABORT_POLL_SECONDS,
                update_heartbeat_interval=settings.worker_heartbeat_seconds,
                stalled_worker_timeout=settings.worker_stalled_seconds,
                shutdown_graceful_timeout=settings.shutdown_grace_seconds)
            self._tasks.append(asyncio.create_task(run, name=f"worker:{queue}"))
        self._tasks.append(asyncio.create_task(self._recover(), name="worker:recovery"))
        log.info("worker running on %s", ", ".join(self.queues))

    async def _recover(self) -> None:
        settings = self.res.settings
        while True:
            try:
                retried = await retry_stalled_jobs(self.res.db, settings.worker_stalled_seconds)
                if retried:
                    log.warning("jobs of a stalled worker queued again: %s", retried)
            except Exception:  # the database may be away for a while: look again next beat
                log.exception("could not look for stalled jobs")
            await asyncio.sleep(settings.worker_heartbeat_seconds)

    async def wait(self) -> None:
        """Until a worker stops on its own (a lost database it could not recover from)."""
        await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)

    async def close(self) -> None:
        """Running jobs get the shutdown grace period to finish; those still running are
        aborted and queued again."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await task
                except Exception:
                    log.exception("%s ended with an error", task.get_name())
        self._tasks.clear()
        await self.app.close_async()
