"""`run_training(...)`: one training job, from its queued run to a registered model version.

1. A short transaction locks the run and marks it `running` (a cancelled or finished run is
   left alone); a rerun after a killed worker starts from nothing: the points of the earlier
   attempt are deleted with its counters. Subscribers of `runProgress` see the status change.
2. The dataset version's file is read and split, and the trainer fits in a worker thread. The
   points it emits are recorded every REPORT_SECONDS through the path `reportRunMetrics` takes
   (services/experiments/run_metrics.py: same rows, counters and events). A run cancelled
   meanwhile is no longer `running`: recording stops the fit at its next iteration; a job
   aborted by its worker (cancelRun cancels the job too) stops it the same way.
3. The model's metrics and ONNX export are computed, the export is stored, and one transaction
   registers the model version and completes the run. Input the trainer cannot use ends the run
   `failed` with a readable `errorMessage`, and so do any unexpected error and a training
   longer than the queue's time limit.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import logging
import queue
import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DatasetVersion, File, Run, RunMetric
from services.experiments import notices, run_metrics
from services.experiments.run_metrics import MetricPoint
from services.jobs.queues import MODEL_TRAINING, limits
from services.jobs.runtime import Resources
from services.pubsub import run_channel
from services.storage.base import split_path
from services.training import data as tables
from services.training.data import Split, TrainingError
from services.training.evaluate import classes_of, final_metrics, onnx_export
from services.training.fit import Stopped, fit
from services.training.register import register_version, store_artifact
from services.training.trainers import (
    DEFAULT_VALIDATION_FRACTION,
    FEATURES,
    SEED,
    TRAINERS,
    VALIDATION_FRACTION,
    TrainerSpec,
)

log = logging.getLogger("aiplatform.training")
REPORT_SECONDS = 0.25  # how often the points emitted so far are recorded
MAX_BATCH = 1000  # as reportRunMetrics takes
MAX_ERROR = 10_000
RUNNABLE = ("pending", "queued", "running")
TIME_MARGIN_SECONDS = 5.0


async def run_training(res: Resources, *, run_id: uuid.UUID, dataset_version_id: uuid.UUID,
                       trainer: str, target_column: str, model_id: uuid.UUID | None) -> None:
    await _Training(res, run_id, dataset_version_id, trainer, target_column, model_id).run()


class _Training:
    def __init__(self, res: Resources, run_id: uuid.UUID, dataset_version_id: uuid.UUID,
                 trainer: str, target_column: str, model_id: uuid.UUID | None) -> None:
        self.res, self.run_id, self.dataset_version_id = res, run_id, dataset_version_id
        self.trainer_name, self.target, self.model_id = trainer, target_column, model_id

    async def run(self) -> None:
        claimed = await self._claim()
        if claimed is None:
            return
        allowed = limits(self.res.settings, MODEL_TRAINING).timeout_seconds
        timed_out = (f"the training ran longer than the model_training queue allows "
                     f"({allowed:g} s)")
        loop = asyncio.get_running_loop()
        # a little under the queue's limit, so the run fails with its reason: the worker then
        # stopping the job would leave it `running` (a timed-out job is not retried)
        deadline = loop.time() + allowed - min(TIME_MARGIN_SECONDS, allowed / 4)
        try:
            async with asyncio.timeout_at(deadline):
                await self._train(*claimed)
        except TimeoutError:
            await asyncio.shield(self._fail(timed_out))  # ends even if the worker's limit hits
        except asyncio.CancelledError:
            if loop.time() >= deadline:  # the worker's limit came first: record it all the same
                await asyncio.shield(self._fail(timed_out))
            raise  # a cancelled run, or a shutdown (the job runs again)
        except Stopped:
            log.info("training run %s stopped: the run was cancelled", self.run_id)
        except TrainingError as error:
            await self._fail(str(error))
        except Exception as error:
            log.exception("training run %s failed", self.run_id)
            await self._fail(f"training failed unexpectedly ({type(error).__name__}: {error})")

    async def _claim(self) -> tuple[dict[str, Any], File | None] | None:
        async with self.res.db.sessionmaker() as session, session.begin():
            run = await session.get(Run, self.run_id, with_for_update=True)
            if run is None or run.status not in RUNNABLE:
                return None
            await session.execute(delete(RunMetric).where(RunMetric.run_id == run.id))
            run.status, run.started_at, run.completed_at = "running", datetime.now(UTC), None
            run.current_step, run.current_epoch, run.progress = 0, 0, 0.0
            run.summary_metrics, run.error_message = {}, None
            version = await session.get(DatasetVersion, self.dataset_version_id)
            file = None if version is None or version.file_id is None else await session.get(
                File, version.file_id)
            record = await _record(session, run)
            hyperparameters = dict(run.hyperparameters)
        await self._publish(run_metrics.status_changed(record))
        return hyperparameters, file

    async def _train(self, hyperparameters: dict[str, Any], file: File | None) -> None:
        trainer = TRAINERS.get(self.trainer_name)
        if trainer is None:
            raise TrainingError(f"no trainer named {self.trainer_name!r}")
        if file is None or file.deleted_at is not None:
            raise TrainingError("the dataset version has no file to train on")
        try:
            content = await self.res.storage.read(file.storage_path,
                                                  self.res.settings.max_upload_bytes)
        except FileNotFoundError:
            raise TrainingError("the dataset version's file is missing from storage") from None
        except ValueError as error:  # over the limit
            raise TrainingError(f"the dataset version's file cannot be read: {error}") from None
        fmt = tables.file_format(file.file_type, file.filename)
        await asyncio.to_thread(_load_libraries)
        data = await asyncio.to_thread(_prepare, content, fmt, self.target, hyperparameters)
        model = await self._fit(trainer, hyperparameters, data)
        metrics = await asyncio.to_thread(final_metrics, model, data)
        exported = await asyncio.to_thread(onnx_export, model, len(data.features))
        await self._complete(trainer, hyperparameters, data, model, metrics, exported)

    async def _fit(self, trainer: TrainerSpec, hyperparameters: dict[str, Any], data: Split
                   ) -> Any:
        points: queue.SimpleQueue[MetricPoint] = queue.SimpleQueue()
        stop = threading.Event()
        work = asyncio.ensure_future(asyncio.to_thread(fit, trainer, hyperparameters, data,
                                                       points.put, stop))
        work.add_done_callback(_retrieved)  # an aborted job leaves the thread's end unread
        try:
            while True:
                await asyncio.wait({work}, timeout=REPORT_SECONDS)
                finished = work.done()  # before draining: every point is in the queue then
                batch = _drain(points)
                if batch and not await self._report(batch):
                    stop.set()  # cancelled meanwhile: the fit stops at its next iteration
                if finished:
                    break
        finally:
            stop.set()  # an aborted job (cancelled, shut down) stops the thread too
            if not work.done():
                await asyncio.wait({work})
        try:
            return work.result()
        except (ValueError, TypeError) as error:  # scikit-learn's refusals of data or params
            raise TrainingError(f"{trainer.name} could not train: {error}") from None

    async def _report(self, batch: list[MetricPoint]) -> bool:
        """Record a batch as reportRunMetrics does; False when the run is no longer running."""
        for start in range(0, len(batch), MAX_BATCH):
            chunk = batch[start:start + MAX_BATCH]
            async with self.res.db.sessionmaker() as session, session.begin():
                run = await session.get(Run, self.run_id, with_for_update=True)
                if run is None or run.status != "running":
                    return False
                await run_metrics.copy_points(session, run, chunk)
                run_metrics.advance(run, chunk)
                record = await _record(session, run)
            await self._publish(run_metrics.metrics_reported(record, run_metrics.wire(chunk)))
        return True

    async def _complete(self, trainer: TrainerSpec, hyperparameters: dict[str, Any],
                        data: Split, model: Any, metrics: dict[str, Any], exported: bytes
                        ) -> None:
        storage = self.res.storage
        async with self.res.db.sessionmaker() as session:
            organization_id = await session.scalar(select(Run.organization_id)
                                                   .where(Run.id == self.run_id))
        assert organization_id is not None
        file_id, path = await store_artifact(storage, organization_id, exported)
        parameters = {"trainer": trainer.name, "estimator": trainer.estimator,
                      "targetColumn": self.target, "features": data.features,
                      "classes": classes_of(model), "hyperparameters": hyperparameters,
                      "datasetVersionId": str(self.dataset_version_id)}
        try:
            async with self.res.db.sessionmaker() as session, session.begin():
                run = await session.get(Run, self.run_id, with_for_update=True)
                if run is None or run.status != "running":
                    raise Stopped
                await register_version(session, run, model_id=self.model_id, file_id=file_id,
                                       storage_path=path, provider=storage.provider,
                                       content=exported, metrics=metrics,
                                       parameters=parameters)
                run.status, run.completed_at, run.progress = "completed", datetime.now(UTC), 1.0
                run.summary_metrics = {**run.summary_metrics, **metrics}
                run.artifacts_location = path
                record = await _record(session, run)
                notice = await notices.run_finished(session, run)
        except BaseException:
            await storage.delete(split_path(path)[1])  # no row points at it
            raise
        await self._publish(run_metrics.status_changed(record), notice)

    async def _fail(self, message: str) -> None:
        async with self.res.db.sessionmaker() as session, session.begin():
            run = await session.get(Run, self.run_id, with_for_update=True)
            if run is None or run.status != "running":
                return
            run.status, run.completed_at = "failed", datetime.now(UTC)
            run.error_message = message[:MAX_ERROR]
            record = await _record(session, run)
            notice = await notices.run_finished(session, run)
        await self._publish(run_metrics.status_changed(record), notice)

    async def _publish(self, event: dict[str, Any], notice: dict[str, Any] | None = None
                       ) -> None:
        """After the commit: the run's event (and its creator's notification); a lost event is
        logged (the rows hold the truth)."""
        if self.res.pubsub is None:
            return
        try:
            await self.res.pubsub.publish(run_channel(self.run_id),
                                          {**event, "published_at": datetime.now(UTC)})
            if notice is not None:
                await notices.publish(self.res.pubsub, notice)
        except Exception:
            log.exception("could not publish the progress of run %s", self.run_id)


_imports = threading.Lock()
LIBRARIES = ("polars", "sklearn.model_selection", "sklearn.metrics", "sklearn.linear_model",
             "sklearn.ensemble", "sklearn.neural_network", "skl2onnx")


def _load_libraries() -> None:
    """Import what training uses, one thread at a time: jobs starting together would otherwise
    import the same compiled packages from two threads at once."""
    with _imports:
        for name in LIBRARIES:
            importlib.import_module(name)


def _prepare(content: bytes, fmt: str, target: str, hyperparameters: dict[str, Any]) -> Split:
    table = tables.read_table(io.BytesIO(content), fmt)
    x, y, features = tables.columns(table, target, hyperparameters.get(FEATURES))
    return tables.split(x, y, features,
                        validation_fraction=hyperparameters.get(VALIDATION_FRACTION,
                                                                DEFAULT_VALIDATION_FRACTION),
                        seed=int(hyperparameters.get(SEED, 0)))


def _retrieved(work: asyncio.Future[Any]) -> None:
    if not work.cancelled():
        work.exception()


def _drain(points: queue.SimpleQueue[MetricPoint]) -> list[MetricPoint]:
    batch = []
    while not points.empty():
        batch.append(points.get_nowait())
    return batch


async def _record(session: AsyncSession, run: Run) -> dict[str, Any]:
    """The run's columns after this transaction's changes, as its events carry them."""
    await session.flush()
    await session.refresh(run)
    return {c.name: _wire(getattr(run, c.name)) for c in Run.__table__.columns}


def _wire(value: Any) -> Any:
    return str(value) if isinstance(value, (uuid.UUID, Decimal)) else value
