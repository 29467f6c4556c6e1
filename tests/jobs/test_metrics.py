"""The worker tier in /metrics: queue depth, running and failed jobs as the database holds
them at scrape time, and the time jobs ran, from a worker running in the server's process."""

from __future__ import annotations

from pathlib import Path

from services.jobs.enqueue import cancel, enqueue
from services.jobs.queues import CHARGING_ANALYSIS, DATA_PROCESSING
from services.jobs.runtime import Resources
from services.jobs.tier import WorkerTier
from services.settings import Settings
from tests.http.test_observability import samples
from tests.jobs.tasks import RECORD
from tests.jobs.workers import FAST, ended, eventually, journal


def sample(text: str, name: str, **labels: str) -> float:
    return samples(text, name).get(tuple(sorted(labels.items())), 0.0)


async def test_queue_depth_running_failed_and_durations_are_in_metrics(
        app, client, db, settings: Settings, tmp_path: Path) -> None:
    fast = settings.model_copy(update={
        "worker_import_paths": FAST["AIPLATFORM_WORKER_IMPORT_PATHS"], "job_max_retries": 0,
        "worker_heartbeat_seconds": 0.2, "worker_stalled_seconds": 1.5})
    before = (await client.get("/metrics")).text
    tier = WorkerTier(Resources(fast, db, app.state.storage), queues=[DATA_PROCESSING])
    await tier.start()
    try:
        async with db.sessionmaker() as session, session.begin():
            for n in range(2):  # no worker serves charging_analysis here: they wait
                await enqueue(session, RECORD, queue=CHARGING_ANALYSIS,
                              journal=str(tmp_path / f"waiting{n}"))
            failing = await enqueue(session, RECORD, queue=DATA_PROCESSING,
                                    journal=str(tmp_path / "failing"), failures=1)
            running = await enqueue(session, RECORD, queue=DATA_PROCESSING,
                                    journal=str(tmp_path / "running"), seconds=60)
        await ended(db, failing, "failed")

        async def started() -> bool:
            return bool(journal(tmp_path / "running"))
        await eventually(started, "the long job's start")
        during = (await client.get("/metrics")).text
        async with db.sessionmaker() as session, session.begin():
            await cancel(session, running)
        await ended(db, running, "aborted")
    finally:
        await tier.close()
    after = (await client.get("/metrics")).text

    def jobs(text: str, queue: str, status: str) -> float:
        return sample(text, "aiplatform_jobs", queue=queue, status=status)

    def ran(outcome: str) -> float:
        name = "aiplatform_job_duration_seconds_count"
        return (sample(after, name, queue=DATA_PROCESSING, outcome=outcome)
                - sample(before, name, queue=DATA_PROCESSING, outcome=outcome))

    assert jobs(during, CHARGING_ANALYSIS, "todo") == 2  # queue depth
    assert jobs(during, DATA_PROCESSING, "doing") == 1
    assert jobs(during, DATA_PROCESSING, "failed") == 1
    assert sample(during, "aiplatform_jobs_running", queue=DATA_PROCESSING) == 1
    assert jobs(after, DATA_PROCESSING, "doing") == 0
    assert jobs(after, DATA_PROCESSING, "aborted") == 1
    assert sample(after, "aiplatform_jobs_running", queue=DATA_PROCESSING) == 0
    assert (ran("failed"), ran("aborted"), ran("succeeded")) == (1, 1, 0)
