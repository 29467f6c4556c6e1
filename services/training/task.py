"""The training task's jobs: queued with the run that asks for them, cancelled with it.

A job's arguments name the run and what to train it on; the run holds the hyperparameters.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.enqueue import enqueue
from services.jobs.queues import MODEL_TRAINING

TRAIN_MODEL = "training.train"

CANCEL_JOBS_OF_RUN = text("""
SELECT procrastinate_cancel_job_v1(id, true, false) FROM procrastinate_jobs
WHERE task_name = :task AND status IN ('todo', 'doing') AND args ->> 'run_id' = :run_id""")


async def enqueue_training(session: AsyncSession, *, run_id: uuid.UUID,
                           dataset_version_id: uuid.UUID, trainer: str, target_column: str,
                           model_id: uuid.UUID | None) -> int:
    """Queue the run's training on `model_training`, committed with `session`; the job id."""
    return await enqueue(session, TRAIN_MODEL, queue=MODEL_TRAINING, run_id=str(run_id),
                         dataset_version_id=str(dataset_version_id), trainer=trainer,
                         target_column=target_column,
                         model_id=None if model_id is None else str(model_id))


async def cancel_training(session: AsyncSession, run_id: uuid.UUID) -> int:
    """Cancel the run's queued job, or ask its running one to stop (its worker aborts it as
    soon as this commits); the number of jobs cancelled."""
    rows = await session.execute(CANCEL_JOBS_OF_RUN, {"task": TRAIN_MODEL,
                                                      "run_id": str(run_id)})
    return len(rows.all())
