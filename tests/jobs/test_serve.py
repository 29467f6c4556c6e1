"""The server runs a worker in its own process: the README's two commands do everything."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.session import Database
from services.jobs.enqueue import enqueue
from services.jobs.queues import DATA_PROCESSING
from services.settings import Settings
from tests.jobs.tasks import RECORD
from tests.jobs.workers import FAST, ended, journal
from tests.servers import app_servers

pytestmark = pytest.mark.slow


async def test_a_server_runs_jobs_in_its_own_process(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    async with db.sessionmaker() as session, session.begin():
        job_id = await enqueue(session, RECORD, queue=DATA_PROCESSING,
                               journal=str(tmp_path / "journal"))

    with app_servers(settings, **FAST, AIPLATFORM_RUN_WORKER="true"):
        await ended(db, job_id)

    assert [event for event, *_ in journal(tmp_path / "journal")] == ["start", "end"]
