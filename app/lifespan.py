"""Resources with owners: the lifespan starts what the app needs and disposes of it on exit.

In embedded mode (no DATABASE_URL / REDIS_URL) it also starts the embedded PostgreSQL and
redis-server, runs the migrations, and stops both servers on shutdown, which uvicorn reaches
on Ctrl-C and SIGTERM.

Shutdown is graceful (app/shutdown.py): by the lifespan's exit, running chat replies get what
is left of the grace period, and those still running then end as failed. The in-process
worker (AIPLATFORM_RUN_WORKER) lets its running jobs finish within the grace period too;
those still running are queued again for the next worker.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette

from app.http.event_streams import OpenStreams
from app.http.websockets import OpenSockets
from app.shutdown import GracefulShutdown
from db import migrate
from db.session import Database
from services import metrics, telemetry
from services.gateway.upstream import upstream_client
from services.jobs.runtime import Resources
from services.jobs.tier import WorkerTier
from services.orphaned_replies import end_orphaned_replies
from services.process_lease import ProcessLease
from services.providers.tasks import GenerationTasks
from services.pubsub import PubSub
from services.redis_pool import make_redis
from services.settings import Settings
from services.system_log import SystemLogWriter
from services.vectorstores import VectorStores

log = logging.getLogger("aiplatform")

def tune_gc() -> None:
    """Keep the cyclic GC off the request path, where a large answer's objects would be
    traversed again and again while they are built.

    Objects alive after start-up (modules, schema) are frozen out of collection, and a young
    generation of 50,000 allocations lets a request's short-lived objects die between passes.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


async def end_replies_of_dead_processes(db: Database, redis: Redis) -> None:
    """Best effort at start: the worker tier's minute task ends what this leaves."""
    try:
        await end_orphaned_replies(db, redis)
    except Exception:
        log.exception("could not end the replies of stopped servers")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    telemetry.configure()  # before the first connection, whose statements it traces
    embedded = None
    database_url, redis_url = settings.database_url, settings.redis_url
    if database_url is None or redis_url is None:
        from app.embedded import EmbeddedServices

        embedded = EmbeddedServices(settings.data_dir.resolve(),
                                    postgres=database_url is None, redis=redis_url is None)
        await asyncio.to_thread(embedded.start)
        if database_url is None:
            database_url = embedded.database_url
            log.info("embedded PostgreSQL ready, migrating")
            await asyncio.to_thread(migrate.upgrade, database_url)
        redis_url = redis_url or embedded.redis_url
    db = Database(database_url, pool_size=settings.db_pool_size,
                  max_overflow=settings.db_max_overflow,
                  pool_timeout=settings.db_pool_timeout_seconds)
    redis = make_redis(redis_url, settings)
    shutdown = GracefulShutdown(settings.shutdown_grace_seconds, OpenSockets(), OpenStreams())
    try:
        await db.connect()
        await redis.ping()
        app.state.db, app.state.redis = db, redis
        if settings.system_log_level.upper() != "OFF":
            app.state.system_log = SystemLogWriter(db, settings.system_log_level)
            app.state.system_log.start()  # WARNING+ records of the app go to system_logs
        app.state.pubsub = PubSub(redis)
        app.state.sockets = shutdown.sockets
        app.state.event_streams = shutdown.streams
        app.state.generations = GenerationTasks()
        app.state.process_lease = ProcessLease(database_url)  # names this process's replies
        await app.state.process_lease.start()
        await end_replies_of_dead_processes(db, redis)  # a previous life's, if it was killed
        app.state.upstream_http = upstream_client()  # the gateway's calls to providers
        app.state.vector_stores = VectorStores.install(settings)  # Qdrant/Chroma: on first use
        if settings.run_worker:  # jobs of every queue (services/jobs/), here in-process
            app.state.jobs = WorkerTier(Resources(settings, db, app.state.storage, redis,
                                                  app.state.pubsub))
            await app.state.jobs.start()
        tune_gc()
        with shutdown.on_signals():
            yield
    finally:
        if getattr(app.state, "generations", None) is not None:
            # before the bus and pools they use; replies may finish within the grace period
            await app.state.generations.close(shutdown.remaining())
        if getattr(app.state, "process_lease", None) is not None:
            await app.state.process_lease.close()  # after the replies it vouched for ended
        if getattr(app.state, "jobs", None) is not None:
            await app.state.jobs.close()  # running jobs get the grace period too
        if getattr(app.state, "upstream_http", None) is not None:
            await app.state.upstream_http.aclose()  # after the last gateway stream ended
        if getattr(app.state, "vector_stores", None) is not None:
            await app.state.vector_stores.close()  # after the worker, its last user
        if getattr(app.state, "pubsub", None) is not None:
            await app.state.pubsub.close()
        if getattr(app.state, "system_log", None) is not None:
            await app.state.system_log.close()  # last user of the pool: writes what is queued
        await redis.aclose()
        await db.close()
        metrics.process_exited(os.getpid())  # its live gauges leave the sums
        telemetry.shutdown()  # the spans still queued are exported
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
