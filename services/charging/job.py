"""`run_charging_analysis(job_id)`: one analysis job from its row to its results.

1. A short transaction locks the job and marks it `processing` (a cancelled or deleted job is
   left alone); subscribers see the status change.
2. The log is read and analysed in a thread; about twice a second the bytes read so far become
   the job's `progress` (0-100), in the row, the Redis snapshot and an `AnalysisJobProgressed`
   event. A job cancelled meanwhile stops reading and keeps its `cancelled` status.
3. One transaction locks the job again, replaces its results (deletes the old rows, inserts the
   new: a rerun never duplicates them) and marks it `completed` with its `result_data`; a file
   that is not a readable charging log marks it `failed` with a readable `error_message`, and so
   does any unexpected error. Nothing leaves a job `processing` but a killed process, and the
   worker tier runs such a job again.

The process's database, Redis and storage come from `ChargingResources.install` (the worker and
the app do this at start); without one, they are opened from the environment's settings for
the job.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from redis.asyncio import Redis
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AnalysisJob, AnalysisResult, File
from db.session import Database
from services.charging.analyse import Cancelled, Outcome, Reading, analyse
from services.charging.citations import cite, collection_id_of
from services.charging.frames import LogError, file_format
from services.charging.progress import PROGRESSED, STATUS_CHANGED, report
from services.charging.source import local_file
from services.settings import Settings
from services.storage import Storage, make_storage

log = logging.getLogger("aiplatform.charging")
REPORT_SECONDS = 0.5  # how often a running job's progress is written
MAX_ERROR = 2000
JOB_COLUMNS = tuple(AnalysisJob.__table__.columns)


@dataclass(frozen=True)
class ChargingResources:
    db: Database
    redis: Redis
    storage: Storage

    _installed: ClassVar[list[ChargingResources]] = []  # a stack: the latest serves

    def install(self) -> ChargingResources:
        self._installed.append(self)
        return self

    def uninstall(self) -> None:
        if self in self._installed:
            self._installed.remove(self)

    @classmethod
    def current(cls) -> ChargingResources | None:
        return cls._installed[-1] if cls._installed else None


@asynccontextmanager
async def resources_from(settings: Settings) -> AsyncIterator[ChargingResources]:
    """Database, Redis and storage opened from settings, for one job outside a server."""
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("a charging analysis outside the server needs DATABASE_URL and "
                           "REDIS_URL")
    db, redis = Database(settings.database_url, pool_size=2), Redis.from_url(settings.redis_url)
    try:
        yield ChargingResources(db, redis, make_storage(settings))
    finally:
        await redis.aclose()
        await db.close()


async def run_charging_analysis(job_id: uuid.UUID,
                                resources: ChargingResources | None = None) -> None:
    """Analyse the job's uploaded charging log; idempotent (a rerun replaces its results).
    `resources`: the worker's; else the process's installed ones, else opened from settings."""
    resources = resources or ChargingResources.current()
    if resources is not None:
        await _Run(resources, job_id).run()
        return
    async with resources_from(Settings()) as opened:
        await _Run(opened, job_id).run()


class _Run:
    def __init__(self, resources: ChargingResources, job_id: uuid.UUID) -> None:
        self.db, self.redis, self.storage = resources.db, resources.redis, resources.storage
        self.job_id = job_id

    async def run(self) -> None:
        job = await self._claim()
        if job is None:
            return
        try:
            outcome = await self._analyse(job)
        except Cancelled:
            log.info("charging analysis %s stopped: the job was cancelled", self.job_id)
            return
        except LogError as error:
            await self._fail(str(error))
            return
        except Exception as error:
            log.exception("charging analysis %s failed", self.job_id)
            await self._fail(f"the analysis failed unexpectedly ({type(error).__name__}: "
                             f"{error})")
            return
        await self._complete(job, outcome)

    async def _claim(self) -> dict[str, Any] | None:
        async with self.db.sessionmaker() as session, session.begin():
            job = await self._locked(session)
            if job is None or job.status == "cancelled":
                return None
            file = None if job.file_id is None else await session.get(File, job.file_id)
            row = await self._set(session, status="processing", progress=0.0, result_data=None,
                                  error_message=None, started_at=datetime.now(UTC),
                                  completed_at=None)
            claimed = {"organization_id": job.organization_id, "parameters": job.parameters,
                       "analysis_type": job.analysis_type,
                       "file_type": job.file_type,
                       "storage_path": file.storage_path if file else job.file_path,
                       "filename": file.filename if file else job.file_path,
                       "size": file.size_bytes if file else job.file_size}
        await report(self.redis, STATUS_CHANGED, row)
        return claimed

    async def _analyse(self, job: dict[str, Any]) -> Outcome:
        if job["analysis_type"] != "charging":
            raise LogError(f"a {job['analysis_type']!r} job is not a charging analysis")
        if not job["storage_path"]:
            raise LogError("the job has no uploaded log to analyse")
        fmt = file_format(job["file_type"], job["filename"])
        async with local_file(self.storage, job["storage_path"]) as path:
            reading = Reading(path.stat().st_size)
            work = asyncio.ensure_future(asyncio.to_thread(analyse, path, fmt, reading))
            try:
                await self._report_until(work, reading)
            finally:
                reading.stop.set()  # a cancelled caller stops the thread too
                if not work.done():
                    await asyncio.wait({work})
            outcome = work.result()
        collection_id = collection_id_of(job["parameters"] or {})
        if collection_id is not None:
            faults = [f for f in outcome.findings if f.result_type == "fault"]
            async with self.db.sessionmaker() as session:
                problem = await cite(session, job["organization_id"], collection_id, faults)
            if problem is not None:
                outcome.result_data["citationsError"] = problem
        return outcome

    async def _report_until(self, work: asyncio.Future[Outcome], reading: Reading) -> None:
        reported = 0.0
        while not work.done():
            await asyncio.wait({work}, timeout=REPORT_SECONDS)
            progress = round(min(reading.fraction * 100, 99.0), 2)
            if work.done() or progress <= reported:
                continue
            reported = progress
            async with self.db.sessionmaker() as session, session.begin():
                row = (await session.execute(
                    update(AnalysisJob).where(AnalysisJob.id == self.job_id,
                                              AnalysisJob.status == "processing")
                    .values(progress=progress, updated_at=datetime.now(UTC))
                    .returning(*JOB_COLUMNS))).mappings().one_or_none()
            if row is None:  # cancelled (or deleted) meanwhile
                reading.stop.set()
                continue
            await report(self.redis, PROGRESSED, row)

    async def _complete(self, job: dict[str, Any], outcome: Outcome) -> None:
        async with self.db.sessionmaker() as session, session.begin():
            current = await self._locked(session)
            if current is None or current.status != "processing":
                return  # cancelled or deleted while it ran: nothing to record
            await session.execute(delete(AnalysisResult).where(
                AnalysisResult.job_id == self.job_id))
            session.add_all(AnalysisResult(
                organization_id=job["organization_id"], job_id=self.job_id,
                result_type=f.result_type, title=f.title, content=f.content,
                confidence_score=f.confidence, metadata_=f.metadata())
                for f in outcome.findings)
            row = await self._set(session, status="completed", progress=100.0,
                                  result_data=outcome.result_data, error_message=None,
                                  completed_at=datetime.now(UTC))
        await report(self.redis, STATUS_CHANGED, row)

    async def _fail(self, message: str) -> None:
        async with self.db.sessionmaker() as session, session.begin():
            current = await self._locked(session)
            if current is None or current.status != "processing":
                return
            await session.execute(delete(AnalysisResult).where(
                AnalysisResult.job_id == self.job_id))
            row = await self._set(session, status="failed", error_message=message[:MAX_ERROR],
                                  completed_at=datetime.now(UTC))
        await report(self.redis, STATUS_CHANGED, row)

    async def _locked(self, session: AsyncSession) -> AnalysisJob | None:
        return await session.scalar(select(AnalysisJob).where(AnalysisJob.id == self.job_id)
                                    .with_for_update())

    async def _set(self, session: AsyncSession, **values: Any) -> Any:
        return (await session.execute(
            update(AnalysisJob).where(AnalysisJob.id == self.job_id)
            .values(**values, updated_at=datetime.now(UTC))
            .returning(*JOB_COLUMNS))).mappings().one()
