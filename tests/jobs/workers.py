"""`aiplatform worker` processes on the test database, with short heartbeats, backoffs and
timeouts so that retries, recoveries and time limits happen within a test."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from db.session import Database
from services.settings import Settings
from tests.servers import ROOT

FAST = {
    "AIPLATFORM_WORKER_HEARTBEAT_SECONDS": "0.2",
    "AIPLATFORM_WORKER_STALLED_SECONDS": "1.5",
    "AIPLATFORM_JOB_MAX_RETRIES": "2",
    "AIPLATFORM_JOB_RETRY_BACKOFF_SECONDS": "0.5",
    "AIPLATFORM_QUEUE_MODEL_TRAINING_TIMEOUT_SECONDS": "1",
    "AIPLATFORM_SHUTDOWN_GRACE_SECONDS": "2",
    "AIPLATFORM_WORKER_IMPORT_PATHS": "tests.jobs.tasks",
    "AIPLATFORM_SYSTEM_LOG_LEVEL": "OFF",
    "AIPLATFORM_LOG_LEVEL": "warning",
}


def start_worker(settings: Settings, log: Path, *args: str, **env: str) -> subprocess.Popen:
    assert settings.database_url and settings.redis_url and settings.secret_key
    environment = {**os.environ, **FAST, "DATABASE_URL": settings.database_url,
                   "REDIS_URL": settings.redis_url, "AIPLATFORM_DATA_DIR": str(settings.data_dir),
                   "AIPLATFORM_SECRET_KEY": settings.secret_key.get_secret_value(), **env}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "worker", *args], cwd=ROOT,
                                env=environment, stdout=out, stderr=subprocess.STDOUT)


@contextmanager
def workers(settings: Settings, log: Path, *args: str, count: int = 1,
            **env: str) -> Iterator[list[subprocess.Popen]]:
    procs = [start_worker(settings, log, *args, **env) for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def eventually(check: Callable[[], Awaitable[bool]], what: str,
                     within: float = 30) -> None:
    """Wait until `check()` is true, looking every 50 ms; fail after about `within` seconds.
    (The worker is another process: the database is where its progress shows.)"""
    for _ in range(int(within / LOOK_EVERY)):
        if await check():
            return
        await asyncio.sleep(LOOK_EVERY)
    raise AssertionError(f"{what} did not happen within {within} s")


LOOK_EVERY = 0.05


def journal(path: Path) -> list[tuple[str, int, float]]:
    """(event, pid, monotonic time) lines a test task wrote."""
    if not path.exists():
        return []
    return [(e, int(p), float(t)) for e, p, t in (line.split() for line in
                                                  path.read_text().splitlines())]


async def job(db: Database, job_id: int) -> tuple[str, int]:
    [row] = await db.fetch("SELECT status::text, attempts FROM procrastinate_jobs WHERE id = $1",
                           job_id)
    return row[0], row[1]


async def column(db: Database, sql: str) -> list:
    return [row[0] for row in await db.fetch(sql)]


async def ended(db: Database, job_id: int, status: str = "succeeded",
                within: float = 30) -> None:
    async def done() -> bool:
        return (await job(db, job_id))[0] == status
    await eventually(done, f"job {job_id} {status}", within)
