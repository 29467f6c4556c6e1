"""Jobs of dead workers go back to their queue, once.

A worker that is killed (SIGKILL, a lost machine) stops beating its heartbeat; its `doing`
jobs would stay `doing` forever. Every worker process looks for such jobs each heartbeat and
retries them in one transaction that locks them first (`FOR UPDATE SKIP LOCKED`): two
processes looking at once never both retry the same job, and a retried job is `todo`, then
`doing` under a live worker, so no later look picks it again. A job therefore runs to its
end on one other worker, not on two.

procrastinate's own `get_stalled_jobs` + `retry_job` are two statements on two connections:
done by every worker at once, a job could be retried twice, the second time while it runs.
"""

from __future__ import annotations

from sqlalchemy import text

from db.session import Database

RETRY_STALLED = text("""
WITH stalled AS (
    SELECT j.id FROM procrastinate_jobs j
    LEFT JOIN procrastinate_workers w ON w.id = j.worker_id
    WHERE j.status = 'doing'
      AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :seconds))
    FOR UPDATE OF j SKIP LOCKED
)
SELECT id, procrastinate_retry_job_v2(id, now(), NULL, NULL, NULL) FROM stalled""")
PRUNE = text("SELECT procrastinate_prune_stalled_workers_v1(:seconds)")


async def retry_stalled_jobs(db: Database, stalled_seconds: float) -> list[int]:
    """Retry the running jobs of workers silent for `stalled_seconds`; their ids."""
    async with db.sessionmaker() as session, session.begin():
        retried = [row.id for row in await session.execute(RETRY_STALLED,
                                                              {"seconds": stalled_seconds})]
        await session.execute(PRUNE, {"seconds": stalled_seconds})
    return retried
