"""A task's job on the `data_processing` queue: enqueued with the task's row, in the same
transaction, and aborted when the task is cancelled (a running job stops at once)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.enqueue import cancel, enqueue

PROCESS_DATA = "dataprocessing.run"
OPEN_JOBS = text("""SELECT id FROM procrastinate_jobs
WHERE task_name = :task AND status IN ('todo', 'doing') AND args ->> 'task_id' = :task_id""")


async def enqueue_task(session: AsyncSession, task_id: uuid.UUID) -> int:
    return await enqueue(session, PROCESS_DATA, task_id=str(task_id))


async def abort_task(session: AsyncSession, task_id: uuid.UUID) -> None:
    """Cancel the task's queued job, or abort its running one, with `session`'s commit."""
    for (job_id,) in await session.execute(OPEN_JOBS, {"task": PROCESS_DATA,
                                                       "task_id": str(task_id)}):
        await cancel(session, job_id)
