"""Resources with owners: the lifespan starts what the app needs and disposes of it on exit.

In embedded mode (no DATABASE_URL / REDIS_URL) it also starts the embedded PostgreSQL and
redis-server, runs the migrations, and stops both servers on shutdown, which uvicorn reaches
on Ctrl-C and SIGTERM.

Shutdown is graceful: at the signal, before uvicorn acts on it, every open GraphQL socket is
closed with 1001 (going away) and the grace period (`shutdown_grace_seconds`) starts. uvicorn
then stops accepting and lets in-flight requests finish within it; by the lifespan's exit,
running chat replies get what is left of it, and those still running then end as failed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from types import FrameType

from redis.asyncio import Redis
from starlette.applications import Starlette

from app.http.websockets import OpenSockets
from db import migrate
from db.session import Database
from services import metrics
from services.knowledge.worker import IngestionWorker, storage_reader
from services.providers.tasks import GenerationTasks
from services.pubsub import PubSub
from services.settings import Settings
from services.system_log import SystemLogWriter
from services.vectorstores import VectorStores

log = logging.getLogger("aiplatform")

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], object]


def tune_gc() -> None:
    """Keep the cyclic GC off the request path, where a large answer's objects would be
    traversed again and again while they are built.

    Objects alive after start-up (modules, schema) are frozen out of collection, and a young
    generation of 50,000 allocations lets a request's short-lived objects die between passes.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


class GracefulShutdown:
    """The grace period of this process's shutdown, counted from the shutdown signal."""

    def __init__(self, grace: float, sockets: OpenSockets) -> None:
        self.grace = grace
        self.sockets = sockets
        self.deadline: float | None = None  # loop time; None until the signal
        self._signalled = False
        self._began: asyncio.Task[None] | None = None  # referenced while it runs

    def remaining(self) -> float:
        """What is left of the grace period; none without a signal (an app embedding this
        one left the lifespan, or the server stopped on its own): replies are cancelled."""
        if self.deadline is None:
            return 0
        return max(0.0, self.deadline - asyncio.get_running_loop().time())

    async def begin(self, server_handler: Handler, sig: int) -> None:
        self.deadline = asyncio.get_running_loop().time() + self.grace
        log.info("shutting down: closing %d websockets, %g s for requests and replies",
                 len(self.sockets), self.grace)
        try:
            await self.sockets.close_all()
        finally:
            server_handler(sig, None)  # now uvicorn stops accepting and waits for requests

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        """Wrap the server's handlers of SIGTERM and SIGINT: the first signal begins the
        shutdown here and then reaches the server's handler; a second one (Ctrl-C twice:
        quit now) reaches it at once. uvicorn handles them with `signal.signal` in the main
        thread and closes the sockets itself with 1012 as soon as it sees one, hence the
        wrapper. Where no handler is installed (a test's lifespan) nothing changes."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        handlers = {sig: h for sig in SHUTDOWN_SIGNALS
                    if callable(h := signal.getsignal(sig)) and h is not signal.default_int_handler}

        def start(sig: int) -> None:
            self._began = loop.create_task(self.begin(handlers[sig], sig))

        def on_signal(sig: int, frame: FrameType | None) -> None:
            if self._signalled:
                handlers[sig](sig, frame)
                return
            self._signalled = True
            loop.call_soon_threadsafe(start, sig)  # wakes the loop, as the signal may not

        wrapped = {sig: signal.signal(sig, on_signal) for sig in handlers}
        try:
            yield
        finally:
            for sig, handler in wrapped.items():
                if signal.getsignal(sig) is on_signal:
                    signal.signal(sig, handler)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
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
                  max_overflow=settings.db_max_overflow)
    redis = Redis.from_url(redis_url)
    shutdown = GracefulShutdown(settings.shutdown_grace_seconds, OpenSockets())
    try:
        await db.connect()
        await redis.ping()
        app.state.db, app.state.redis = db, redis
        if settings.system_log_level.upper() != "OFF":
            app.state.system_log = SystemLogWriter(db, settings.system_log_level)
            app.state.system_log.start()  # WARNING+ records of the app go to system_logs
        app.state.pubsub = PubSub(redis)
        app.state.sockets = shutdown.sockets
        app.state.generations = GenerationTasks()
        app.state.vector_stores = VectorStores.install(settings)  # Qdrant/Chroma: on first use
        app.state.knowledge = IngestionWorker(
            db, app.state.pubsub,
            read_file=storage_reader(app.state.storage, settings.max_upload_bytes))
        app.state.knowledge.start()  # its first pass resumes ingestion a killed server left
        tune_gc()
        with shutdown.on_signals():
            yield
    finally:
        if getattr(app.state, "generations", None) is not None:
            # before the bus and pools they use; replies may finish within the grace period
            await app.state.generations.close(shutdown.remaining())
        if getattr(app.state, "knowledge", None) is not None:
            await app.state.knowledge.close()
        if getattr(app.state, "vector_stores", None) is not None:
            await app.state.vector_stores.close()  # after the worker, its last user
        if getattr(app.state, "pubsub", None) is not None:
            await app.state.pubsub.close()
        if getattr(app.state, "system_log", None) is not None:
            await app.state.system_log.close()  # last user of the pool: writes what is queued
        await redis.aclose()
        await db.close()
        metrics.process_exited(os.getpid())  # its live gauges leave the sums
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
