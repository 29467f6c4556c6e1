"""The worker tier over a real `aiplatform worker` process: jobs commit with their
transaction, failures are retried with backoff, time limits and cancellation stop a running
job, and upkeep deletes only what is past its time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import Popen

import pytest

from db.models import ModelUsageLog, UserSession
from db.session import Database
from services.jobs.enqueue import cancel, enqueue
from services.jobs.queues import DATA_PROCESSING, MODEL_TRAINING
from services.settings import Settings
from tests.factories.ai_models import make_model
from tests.factories.identity import make_organization, make_user
from tests.factories.system import make_audit_log, make_system_log
from tests.jobs.tasks import RECORD, RECORD_TRAINING
from tests.jobs.workers import column, ended, eventually, job, journal, workers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def worker(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Popen]:
    """One worker process for the module, on every queue but document_processing."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with workers(settings, log, "--queues",
                 "data_processing,model_training,maintenance,charging_analysis") as [proc]:
        yield proc


async def test_a_job_commits_with_its_transaction_and_a_rolled_back_one_never_runs(
        db: Database, worker: Popen, tmp_path: Path) -> None:
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    with pytest.raises(RuntimeError):
        async with db.sessionmaker() as session, session.begin():
            await enqueue(session, RECORD, queue=DATA_PROCESSING, journal=str(dropped))
            raise RuntimeError("the request failed after enqueuing")
    async with db.sessionmaker() as session, session.begin():
        kept_id = await enqueue(session, RECORD, queue=DATA_PROCESSING, journal=str(kept))

    await ended(db, kept_id)

    assert [event for event, *_ in journal(kept)] == ["start", "end"]
    assert not dropped.exists()
    assert await column(db, f"SELECT id FROM procrastinate_jobs WHERE task_name = '{RECORD}'") \
        == [kept_id]


async def test_a_failing_job_is_retried_with_growing_waits_until_it_succeeds(
        db: Database, worker: Popen, tmp_path: Path) -> None:
    path = tmp_path / "flaky"
    async with db.sessionmaker() as session, session.begin():
        job_id = await enqueue(session, RECORD, queue=DATA_PROCESSING, journal=str(path),
                               failures=2)

    await ended(db, job_id)

    starts = [at for event, _, at in journal(path) if event == "start"]
    assert len(starts) == 3 and await job(db, job_id) == ("succeeded", 3)  # runs, all counted
    first_wait, second_wait = starts[1] - starts[0], starts[2] - starts[1]
    assert first_wait >= 0.5 and second_wait >= 1.0  # backoff 0.5 s, then twice that


async def test_a_job_over_its_queue_time_limit_fails_and_is_not_retried(
        db: Database, worker: Popen, tmp_path: Path) -> None:
    path = tmp_path / "slow"
    async with db.sessionmaker() as session, session.begin():
        job_id = await enqueue(session, RECORD_TRAINING, queue=MODEL_TRAINING,
                               journal=str(path), seconds=60)

    await ended(db, job_id, "failed")  # model_training's limit is 1 s here

    assert [event for event, *_ in journal(path)] == ["start"]
    assert await job(db, job_id) == ("failed", 1)


async def test_a_cancelled_running_job_stops_within_two_seconds(
        db: Database, worker: Popen, tmp_path: Path) -> None:
    path = tmp_path / "long"
    async with db.sessionmaker() as session, session.begin():
        job_id = await enqueue(session, RECORD, queue=DATA_PROCESSING, journal=str(path),
                               seconds=60)

    async def started() -> bool:
        return bool(journal(path))
    await eventually(started, "the job's start")
    loop = asyncio.get_running_loop()
    asked = loop.time()
    async with db.sessionmaker() as session, session.begin():
        assert await cancel(session, job_id)
    await ended(db, job_id, "aborted", within=10)
    stopped_after = loop.time() - asked

    assert stopped_after < 2.0
    assert [event for event, *_ in journal(path)] == ["start"]
    assert await job(db, job_id) == ("aborted", 1)  # aborted for good, not queued again
    async with db.sessionmaker() as session, session.begin():
        assert not await cancel(session, job_id)  # finished: nothing left to cancel


async def test_upkeep_deletes_expired_sessions_and_rows_past_their_retention_only(
        db: Database, worker: Popen) -> None:
    now = datetime.now(UTC)
    async with db.sessionmaker() as session, session.begin():
        org, user = await make_organization(session), await make_user(session)
        model = await make_model(session, organization=org)
        for name, expires in (("expired", now - timedelta(minutes=1)),
                              ("valid", now + timedelta(days=1))):
            session.add(UserSession(user_id=user.id, token_hash=name, expires_at=expires))
        for label, days in (("old", 31), ("new", 29)):  # system logs are kept 30 days
            await make_system_log(session, message=label, created_at=now - timedelta(days=days))
        for label, days in (("old", 366), ("new", 300)):  # audit logs 365
            await make_audit_log(session, organization=org, action=label,
                                 created_at=now - timedelta(days=days))
        for label, days in (("old", 91), ("new", 89)):  # usage logs 90
            session.add(ModelUsageLog(organization_id=org.id, model_id=model.id,
                                      request_type=label, status="success",
                                      created_at=now - timedelta(days=days)))
        jobs = [await enqueue(session, "upkeep.delete_expired_sessions", timestamp=0),
                await enqueue(session, "upkeep.apply_retention", timestamp=0)]

    for job_id in jobs:
        await ended(db, job_id)

    assert await column(db, "SELECT token_hash FROM user_sessions") == ["valid"]
    assert await column(db, "SELECT message FROM system_logs") == ["new"]
    assert await column(db, "SELECT action FROM audit_logs") == ["new"]
    assert await column(db, "SELECT request_type FROM model_usage_logs") == ["new"]


async def test_usage_of_a_minute_is_rolled_up_into_performance_metrics_once(
        db: Database, worker: Popen) -> None:
    minute = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    async with db.sessionmaker() as session, session.begin():
        org = await make_organization(session)
        model, quiet = await make_model(session, organization=org), \
            await make_model(session, organization=org)
        for n, (status, ms) in enumerate([("success", 100), ("success", 200), ("success", 300),
                                          ("error", 1000)]):
            session.add(ModelUsageLog(organization_id=org.id, model_id=model.id,
                                      request_type="chat", status=status, duration_ms=ms,
                                      input_tokens=10, output_tokens=5 * n, cost=0.5,
                                      created_at=minute + timedelta(seconds=10 * n)))
        # a tick rolls up its last two minutes (the earlier again, for late rows): these
        # calls fall just outside them
        for outside in (minute - timedelta(minutes=1, seconds=1), minute + timedelta(minutes=1)):
            session.add(ModelUsageLog(organization_id=org.id, model_id=quiet.id,
                                      request_type="chat", status="success", duration_ms=1,
                                      created_at=outside))
        tick = int((minute + timedelta(minutes=1, seconds=5)).timestamp())
        first = await enqueue(session, "performance.roll_up", timestamp=tick)
    await ended(db, first)
    async with db.sessionmaker() as session, session.begin():  # again: the same rows
        again = await enqueue(session, "performance.roll_up", timestamp=tick)
    await ended(db, again)

    rows = await db.fetch("SELECT organization_id, model_id, model_version_id, metric_name, "
                          "metric_value, recorded_at FROM performance_metrics")
    expected = {"requests": 4, "error_rate": 0.25, "latency_p50_ms": 250,
                "latency_p95_ms": pytest.approx(895), "latency_p99_ms": pytest.approx(979),
                "tokens_in": 40, "tokens_out": 30, "cost": 2.0}
    # the model's row, its organization's and the platform's: the same calls at three levels
    levels = {(org.id, model.id, None, minute), (org.id, None, None, minute),
              (None, None, None, minute)}
    assert {(*tuple(r.values())[:3], r["recorded_at"]) for r in rows} == levels
    for level in levels:
        values = {r["metric_name"]: r["metric_value"] for r in rows
                  if (*tuple(r.values())[:3], r["recorded_at"]) == level}
        assert values == expected, level
