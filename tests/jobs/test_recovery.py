"""A worker SIGKILLed mid-job: its job goes back to the queue once, and another worker runs
it to the end; with two workers looking for stalled jobs at once, still only one does."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from db.session import Database
from services.jobs.enqueue import enqueue
from services.jobs.queues import DATA_PROCESSING
from services.settings import Settings
from tests.jobs.tasks import RECORD
from tests.jobs.workers import ended, eventually, job, journal, workers

pytestmark = pytest.mark.slow


async def test_the_job_of_a_killed_worker_is_finished_by_one_other_worker_once(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    path, log = tmp_path / "journal", tmp_path / "workers.log"
    queue = ("--queues", DATA_PROCESSING, "--concurrency", "1")
    with workers(settings, log, *queue) as [doomed]:
        async with db.sessionmaker() as session, session.begin():
            job_id = await enqueue(session, RECORD, queue=DATA_PROCESSING, journal=str(path),
                                   seconds=1.0)

        async def started() -> bool:
            return bool(journal(path))
        await eventually(started, "the first worker's start")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
        assert await job(db, job_id) == ("doing", 0)  # nobody told the database

        with workers(settings, log, *queue, count=2) as survivors:
            await ended(db, job_id)
            events = journal(path)

    assert [(event, pid) for event, pid, _ in events] == [
        ("start", doomed.pid), ("start", events[1][1]), ("end", events[1][1])]
    assert events[1][1] in {p.pid for p in survivors}
    assert await job(db, job_id) == ("succeeded", 2)  # retried once, then run to the end
