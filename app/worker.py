"""`aiplatform worker`: a process that only runs jobs (services/jobs/), for deployments that
scale the worker tier apart from the servers (AIPLATFORM_RUN_WORKER=false on those).

SIGTERM or Ctrl-C stops it gracefully: no new jobs, running ones get the shutdown grace
period (AIPLATFORM_SHUTDOWN_GRACE_SECONDS), and those still running then are queued again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Sequence

from redis.asyncio import Redis

from db.session import Database
from services import metrics, telemetry
from services.jobs.runtime import Resources
from services.jobs.tier import WorkerTier
from services.pubsub import PubSub
from services.settings import Settings
from services.storage import make_storage
from services.vectorstores import VectorStores

log = logging.getLogger("aiplatform")


async def run_worker(settings: Settings, database_url: str, redis_url: str | None, *,
                     queues: Sequence[str], concurrency: int | None) -> bool:
    """Run until SIGTERM or SIGINT (True), or until a worker stops on its own, having lost
    its database for good (False: the process should exit non-zero and be restarted)."""
    telemetry.configure()
    db = Database(database_url, pool_size=settings.db_pool_size,
                  max_overflow=settings.db_max_overflow)
    redis = Redis.from_url(redis_url) if redis_url else None
    pubsub = PubSub(redis) if redis is not None else None
    stores = VectorStores.install(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tier: WorkerTier | None = None
    try:
        await db.connect()
        tier = WorkerTier(Resources(settings, db, make_storage(settings), redis, pubsub),
                          queues=queues, concurrency=concurrency)
        await tier.start()
        stopped, ended = asyncio.ensure_future(stop.wait()), asyncio.ensure_future(tier.wait())
        await asyncio.wait([stopped, ended], return_when=asyncio.FIRST_COMPLETED)
        for waiting in (stopped, ended):
            waiting.cancel()
        if not stop.is_set():
            log.error("a worker stopped on its own; stopping the others")
        log.info("worker stopping")
        return stop.is_set()
    finally:
        if tier is not None:
            await tier.close()
        await stores.close()
        if pubsub is not None:
            await pubsub.close()
        if redis is not None:
            await redis.aclose()
        await db.close()
        metrics.process_exited(os.getpid())
        telemetry.shutdown()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
