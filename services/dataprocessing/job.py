"""`run_data_processing(task_id, ...)`: one processing task from its row to its results.

1. A short transaction locks the task and marks it `running` (a task cancelled, finished or
   deleted meanwhile is left alone); subscribers see the status change. A task whose worker
   died is `running` already: the job runs it again from the start, as nothing of it was
   recorded.
2. The source version's file is read and processed in a thread (services/dataprocessing/
   work.py); progress goes to the row and to subscribers between the steps (read and
   processed: 50, stored: 90). A cancelled task stops: its job is aborted by the cancel, and a
   step that finds the row no longer `running` stops too.
3. One transaction locks the task again and records everything at once: the profile on the
   source version, or the new versions with their files (lineage: `parent_version_id`,
   `processing_task_id`), the execution log, `completed`. Data that cannot be processed ends
   `failed` with a readable `status_message`, and so does any unexpected error: nothing
   leaves a task `running` but a killed process, and the worker tier runs that job again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DataProcessingTask, Dataset, DatasetVersion, File
from db.session import Database
from services.dataprocessing.configuration import (
    SPLIT,
    ConfigurationError,
    parse,
)
from services.dataprocessing.files import Stored, Workspace, discard, local_source, store
from services.dataprocessing.formats import DataError, format_of
from services.dataprocessing.progress import PROGRESSED, STATUS_CHANGED, report
from services.dataprocessing.work import Output, Result, perform
from services.pubsub import PubSub
from services.storage import Storage

log = logging.getLogger("aiplatform.dataprocessing")
RUNNABLE = ("pending", "queued", "running")
MAX_MESSAGE = 2000
TASK_COLUMNS = tuple(DataProcessingTask.__table__.columns)
VERSION_MAX = 50


class Stopped(Exception):
    """The task was cancelled (or deleted) while it ran."""


@dataclass(frozen=True)
class Claimed:
    organization_id: uuid.UUID
    task_type: str
    configuration: dict[str, Any]
    target_dataset_id: uuid.UUID | None
    source: DatasetVersion | None
    file: File | None


async def run_data_processing(task_id: uuid.UUID, db: Database, storage: Storage,
                              pubsub: PubSub | None) -> None:
    """Run the task; idempotent (a finished task is left as it is)."""
    await _Run(task_id, db, storage, pubsub).run()


class _Run:
    def __init__(self, task_id: uuid.UUID, db: Database, storage: Storage,
                 pubsub: PubSub | None) -> None:
        self.task_id, self.db, self.storage, self.pubsub = task_id, db, storage, pubsub
        self.log: list[str] = []

    async def run(self) -> None:
        claimed = await self._claim()
        if claimed is None:
            return
        workspace = Workspace()
        stored: list[Stored] = []  # files in storage not (yet) recorded: deleted at the end
        try:
            result = await self._process(claimed, workspace)
            await self._progress(50.0)
            for output in result.outputs:
                stored.append(await store(self.storage, claimed.organization_id, output.path,
                                          output.format))
            await self._progress(90.0)
            if await self._complete(claimed, result, stored):
                stored = []
        except Stopped:
            log.info("data processing task %s stopped: it was cancelled", self.task_id)
        except (DataError, ConfigurationError) as error:
            await self._fail(str(error))
        except Exception as error:
            log.exception("data processing task %s failed", self.task_id)
            await self._fail(f"the task failed unexpectedly ({type(error).__name__}: {error})")
        finally:  # also when the job is aborted
            if stored:
                await asyncio.shield(discard(self.storage, stored))
            workspace.close()

    async def _claim(self) -> Claimed | None:
        async with self.db.sessionmaker() as session, session.begin():
            task = await self._locked(session)
            if task is None or task.status not in RUNNABLE:
                return None
            source = None if task.source_version_id is None else await session.get(
                DatasetVersion, task.source_version_id)
            file = None if source is None or source.file_id is None else await session.get(
                File, source.file_id)
            claimed = Claimed(task.organization_id, task.task_type, dict(task.configuration),
                              task.target_dataset_id, source, file)
            row = await self._set(session, status="running", progress=0.0,
                                  status_message=None, execution_logs=None,
                                  started_at=datetime.now(UTC), completed_at=None)
        await report(self.pubsub, STATUS_CHANGED, row)
        return claimed

    async def _process(self, claimed: Claimed, workspace: Workspace) -> Result:
        config = parse(claimed.task_type, claimed.configuration)
        if claimed.source is None:
            raise DataError("the task's source version is gone")
        file = claimed.file
        if file is None or file.deleted_at is not None:
            raise DataError(f"version {claimed.source.version!r} has no file to read")
        fmt = format_of(file.filename)
        path = await local_source(self.storage, file.storage_path, workspace)
        self.log.append(f"source: version {claimed.source.version!r}, {file.filename} "
                        f"({fmt}, {file.size_bytes} bytes)")
        result = await workspace.run(lambda: perform(config, path, fmt, workspace.path))
        self.log += result.log
        return result

    async def _progress(self, progress: float) -> None:
        async with self.db.sessionmaker() as session, session.begin():
            row = (await session.execute(
                update(DataProcessingTask).where(DataProcessingTask.id == self.task_id,
                                                 DataProcessingTask.status == "running")
                .values(progress=progress, updated_at=datetime.now(UTC))
                .returning(*TASK_COLUMNS))).mappings().one_or_none()
        if row is None:
            raise Stopped
        await report(self.pubsub, PROGRESSED, row)

    async def _complete(self, claimed: Claimed, result: Result, stored: list[Stored]) -> bool:
        """Record the results; False when the task stopped running meanwhile."""
        source = claimed.source
        assert source is not None
        async with self.db.sessionmaker() as session, session.begin():
            current = await self._locked(session)
            if current is None or current.status != "running":
                return False
            if result.profile is not None:
                await session.execute(update(DatasetVersion).where(
                    DatasetVersion.id == source.id).values(
                    profile={**result.profile, "profiledAt": datetime.now(UTC).isoformat(),
                             "processingTaskId": str(self.task_id)},
                    row_count=result.profile["rows"], updated_at=datetime.now(UTC)))
            if stored:
                dataset_id = await self._target(session, claimed, source)
                for output, file in zip(result.outputs, stored, strict=True):
                    version = await self._version(session, claimed, source, dataset_id, output,
                                                  file)
                    self.log.append(f"wrote version {version!r}: {output.rows} rows "
                                    f"({output.format}, {file.size_bytes} bytes)")
            row = await self._set(session, status="completed", progress=100.0,
                                  status_message=self._summary(result),
                                  execution_logs="\n".join(self.log),
                                  completed_at=datetime.now(UTC))
        await report(self.pubsub, STATUS_CHANGED, row)
        return True

    async def _target(self, session: AsyncSession, claimed: Claimed,
                      source: DatasetVersion) -> uuid.UUID:
        """The live dataset the new versions go into: the task's target, else the source's."""
        dataset_id = claimed.target_dataset_id or source.dataset_id
        live = await session.scalar(select(Dataset.id).where(
            Dataset.id == dataset_id, Dataset.deleted_at.is_(None)).with_for_update())
        if live is None:
            raise DataError("the dataset the task writes to was deleted")
        return dataset_id

    async def _version(self, session: AsyncSession, claimed: Claimed, source: DatasetVersion,
                 dataset_id: uuid.UUID, output: Output, stored: Stored) -> str:
        suffix = f"-{claimed.task_type}-{self.task_id.hex[:8]}" + (
            f"-{output.part}" if output.part else "")
        name = source.version[:VERSION_MAX - len(suffix)] + suffix
        session.add(File(id=stored.id, organization_id=claimed.organization_id,
                         filename=f"{name}.{output.format}", file_type=output.format,
                         mime_type=stored.mime_type, size_bytes=stored.size_bytes,
                         storage_provider=stored.storage_provider,
                         storage_path=stored.storage_path, checksum=stored.checksum,
                         metadata_={"purpose": "dataset"}, status="ready"))
        await session.flush()  # the file's row first: the version refers to it
        what = f"{claimed.task_type} of version {source.version!r}" + (
            f": the {output.part} part" if claimed.task_type == SPLIT else "")
        session.add(DatasetVersion(
            organization_id=claimed.organization_id, dataset_id=dataset_id, version=name,
            size_bytes=stored.size_bytes, row_count=output.rows, changes_description=what,
            metadata_={"format": output.format, "taskType": claimed.task_type,
                       **({"part": output.part} if output.part else {})},
            file_id=stored.id, parent_version_id=source.id, processing_task_id=self.task_id))
        return name

    @staticmethod
    def _summary(result: Result) -> str:
        if result.profile is not None:
            return f"profiled {result.profile['rows']} rows"
        return f"wrote {len(result.outputs)} version" + ("s" if len(result.outputs) > 1 else "")

    async def _fail(self, message: str) -> None:
        async with self.db.sessionmaker() as session, session.begin():
            current = await self._locked(session)
            if current is None or current.status != "running":
                return
            self.log.append(f"failed: {message}")
            row = await self._set(session, status="failed", status_message=message[:MAX_MESSAGE],
                                  execution_logs="\n".join(self.log),
                                  completed_at=datetime.now(UTC))
        await report(self.pubsub, STATUS_CHANGED, row)

    async def _locked(self, session: AsyncSession) -> DataProcessingTask | None:
        return await session.scalar(select(DataProcessingTask).where(
            DataProcessingTask.id == self.task_id).with_for_update())

    async def _set(self, session: AsyncSession, **values: Any) -> Any:
        return (await session.execute(
            update(DataProcessingTask).where(DataProcessingTask.id == self.task_id)
            .values(**values, updated_at=datetime.now(UTC))
            .returning(*TASK_COLUMNS))).mappings().one()

