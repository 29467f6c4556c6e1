"""Enqueue and cancel jobs on the caller's own transaction.

Procrastinate defers through its own connections; here the same database functions run on
the SQLAlchemy session of the request, so the jobs commit or roll back with the rows that
ask for them. A product task's queue comes from its entry in `services.jobs.tasks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.queues import QUEUES

DEFER = text("""
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY(
    SELECT ROW(:queue, :task, 0, NULL, NULL, t.args, NULL)::procrastinate_job_to_defer_v1
    FROM jsonb_array_elements(CAST(:args AS jsonb)) WITH ORDINALITY AS t(args, n)
    ORDER BY t.n)))""")
CANCEL = text("SELECT procrastinate_cancel_job_v1(:id, true, false)")


async def enqueue(session: AsyncSession, task: str, *, queue: str | None = None,
                  **args: Any) -> int:
    """Queue a run of `task` with these JSON arguments, committed with `session`; the job's
    id. Workers are woken by the insert's notification once the transaction commits."""
    [job_id] = await enqueue_many(session, task, [args], queue=queue)
    return job_id


async def enqueue_many(session: AsyncSession, task: str, arguments: Sequence[dict[str, Any]],
                       *, queue: str | None = None) -> list[int]:
    """One job per set of arguments, in one statement; their ids in the same order.
    `queue` is needed only for tasks that are not the product's (extensions)."""
    if not arguments:
        return []
    queue = queue or _queue_of(task)
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    rows = await session.execute(DEFER, {"queue": queue, "task": task,
                                         "args": orjson.dumps(list(arguments)).decode()})
    return [int(job_id) for (job_id,) in rows]


async def cancel(session: AsyncSession, job_id: int) -> bool:
    """A queued job is cancelled; a running one is asked to stop (its worker cancels it at
    once, through the notification this sends); False when it had already finished."""
    return (await session.execute(CANCEL, {"id": job_id})).scalar_one_or_none() is not None


def _queue_of(task: str) -> str:
    from services.jobs.tasks import TASKS  # the tasks module enqueues too

    for spec in TASKS:
        if spec.name == task:
            return spec.queue
    raise LookupError(f"no product task named {task!r}: give its queue")
