"""The product's tasks, one line each: what a job row names and the function that runs it.

Functions take the job's JSON arguments and reach the worker's database, storage and event
bus through `resources()`. Every queue has tasks now; a queue added later is served all
the same: its tasks join this list.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from services import performance, upkeep
from services.charging.job import ChargingResources, run_charging_analysis
from services.dataprocessing.dispatch import PROCESS_DATA
from services.dataprocessing.job import run_data_processing
from services.jobs.enqueue import enqueue_many
from services.jobs.queues import (
    CHARGING_ANALYSIS,
    DATA_PROCESSING,
    DOCUMENT_PROCESSING,
    MAINTENANCE,
    MODEL_TRAINING,
)
from services.jobs.registry import TaskSpec
from services.jobs.runtime import resources
from services.knowledge.worker import IngestionWorker, storage_reader
from services.mail.sender import send_pending_mail
from services.orphaned_replies import end_orphaned_replies
from services.purge import purge_deleted_organizations
from services.training.job import run_training
from services.training.task import TRAIN_MODEL

INGEST_DOCUMENT = "knowledge.ingest_document"
SEND_MAIL = "mail.send"
ANALYSE_CHARGING_LOG = "charging.analyse"


async def ingest_document(document_id: str) -> str | None:
    res = resources()
    worker = IngestionWorker(res.db, res.pubsub, read_file=storage_reader(
        res.storage, res.settings.max_upload_bytes))
    return await worker.process(uuid.UUID(document_id))


# documents pending without a queued or running job: added before the worker tier existed,
# or whose job ended without reaching the row (cancelled, failed on a lost database)
ORPHANED_DOCUMENTS = text("""
SELECT d.id FROM knowledge_documents d
WHERE d.upload_status IN ('uploading', 'processing') AND d.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                  WHERE j.task_name = :task AND j.status IN ('todo', 'doing')
                    AND j.args ->> 'document_id' = d.id::text)""")


async def resume_documents(timestamp: int) -> int:
    """Enqueue ingestion of orphaned pending documents; the number enqueued."""
    res = resources()
    async with res.db.sessionmaker() as session, session.begin():
        orphans = (await session.execute(ORPHANED_DOCUMENTS, {"task": INGEST_DOCUMENT})).all()
        await enqueue_many(session, INGEST_DOCUMENT,
                           [{"document_id": str(document_id)} for (document_id,) in orphans])
    return len(orphans)


async def analyse_charging_log(job_id: str) -> None:
    res = resources()
    if res.redis is None:  # progress lives in Redis: a worker without it cannot run this
        raise RuntimeError("a charging analysis needs the worker's Redis")
    await run_charging_analysis(uuid.UUID(job_id),
                                ChargingResources(res.db, res.redis, res.storage))


async def end_replies_of_dead_servers(timestamp: int) -> int:
    """Chat replies whose server was killed, ended as failed (services/orphaned_replies.py)."""
    res = resources()
    return await end_orphaned_replies(res.db, res.redis)


async def process_data(task_id: str) -> None:
    res = resources()
    await run_data_processing(uuid.UUID(task_id), res.db, res.storage, res.pubsub)


async def train_model(run_id: str, dataset_version_id: str, trainer: str, target_column: str,
                      model_id: str | None = None) -> None:
    await run_training(resources(), run_id=uuid.UUID(run_id),
                       dataset_version_id=uuid.UUID(dataset_version_id), trainer=trainer,
                       target_column=target_column,
                       model_id=None if model_id is None else uuid.UUID(model_id))


async def send_mail(timestamp: int | None = None) -> int:
    """The outbox's due mails (queued by a mutation's transaction, or due for a retry)."""
    res = resources()
    return await send_pending_mail(res.db, res.settings)


async def purge_organizations(timestamp: int) -> int:
    res = resources()
    return len(await purge_deleted_organizations(res.db, res.settings, res.storage))


async def roll_up_performance(timestamp: int) -> int:
    """The usage of the minutes before the tick, as performance metrics; alerts notified."""
    res = resources()
    return await performance.roll_up_tick(res.db, res.settings,
                                          datetime.fromtimestamp(timestamp, UTC),
                                          redis=res.redis)


async def delete_expired_sessions(timestamp: int) -> int:
    return await upkeep.delete_expired_sessions(resources().db)


async def apply_retention(timestamp: int) -> dict[str, int]:
    res = resources()
    return await upkeep.apply_retention(res.db, res.settings)


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(INGEST_DOCUMENT, DOCUMENT_PROCESSING, ingest_document),
    TaskSpec("knowledge.resume_documents", MAINTENANCE, resume_documents,
             cron="*/5 * * * *", lock="knowledge.resume_documents"),
    TaskSpec("performance.roll_up", MAINTENANCE, roll_up_performance, cron="* * * * *",
             lock="performance.roll_up"),
    TaskSpec("upkeep.delete_expired_sessions", MAINTENANCE, delete_expired_sessions,
             cron="7 * * * *", lock="upkeep"),
    TaskSpec("upkeep.apply_retention", MAINTENANCE, apply_retention,
             cron="37 * * * *", lock="upkeep"),
    TaskSpec("chat.end_orphaned_replies", MAINTENANCE, end_replies_of_dead_servers,
             cron="* * * * *", lock="chat.end_orphaned_replies"),
    TaskSpec(ANALYSE_CHARGING_LOG, CHARGING_ANALYSIS, analyse_charging_log),
    TaskSpec(PROCESS_DATA, DATA_PROCESSING, process_data),
    TaskSpec(TRAIN_MODEL, MODEL_TRAINING, train_model),
    TaskSpec(SEND_MAIL, MAINTENANCE, send_mail),
    TaskSpec("mail.retry", MAINTENANCE, send_mail, cron="* * * * *", lock="mail"),
    TaskSpec("upkeep.purge_organizations", MAINTENANCE, purge_organizations,
             cron="23 * * * *", lock="upkeep"),
)
