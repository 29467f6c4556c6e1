"""Upkeep: expired sessions and rows past their retention are deleted in small batches.

Each batch is its own short transaction over at most BATCH rows picked by an indexed column
(`FOR UPDATE SKIP LOCKED`: rows another transaction holds wait for the next run), so a large
backlog never holds locks for long nor blocks the writers of these tables.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy import text

from db.session import Database
from services.settings import Settings

log = logging.getLogger("aiplatform.upkeep")
BATCH = 5000


class Retention(NamedTuple):
    table: str
    column: str  # indexed timestamp the age is measured on
    setting: str  # the Settings field with the days to keep


RETENTIONS = (
    Retention("system_logs", "created_at", "retention_days_system_logs"),
    Retention("audit_logs", "created_at", "retention_days_audit_logs"),
    Retention("model_usage_logs", "created_at", "retention_days_usage_logs"),
    Retention("performance_metrics", "recorded_at", "retention_days_performance_metrics"),
)


async def delete_in_batches(db: Database, table: str, condition: str,
                            params: dict[str, object]) -> int:
    """Delete the rows of `table` matching `condition` (an SQL expression over its columns,
    with these bind parameters), BATCH per transaction; the number deleted."""
    statement = text(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
                     f"WHERE {condition} LIMIT {BATCH} FOR UPDATE SKIP LOCKED)")
    total = 0
    while True:
        async with db.sessionmaker() as session, session.begin():
            deleted = (await session.execute(statement, params)).rowcount  # type: ignore[attr-defined]
        total += deleted
        if deleted < BATCH:
            return total


async def delete_expired_sessions(db: Database) -> int:
    """Logins past their refresh token's expiry can no longer be used or renewed."""
    deleted = await delete_in_batches(db, "user_sessions", "expires_at < now()", {})
    log.info("deleted %d expired sessions", deleted)
    return deleted


async def apply_retention(db: Database, settings: Settings) -> dict[str, int]:
    """Rows older than their table's retention; a retention of 0 days keeps everything."""
    deleted = {}
    for rule in RETENTIONS:
        days = getattr(settings, rule.setting)
        if days > 0:
            deleted[rule.table] = await delete_in_batches(
                db, rule.table, f"{rule.column} < now() - make_interval(days => :days)",
                {"days": days})
    if settings.retention_days_jobs > 0:
        deleted["procrastinate_jobs"] = await delete_in_batches(
            db, "procrastinate_jobs", FINISHED_JOB, {"days": settings.retention_days_jobs})
    log.info("retention applied: %s", deleted)
    return deleted


# a finished job whose last event (its end) is older than the retention; its events go with it
FINISHED_JOB = ("status IN ('succeeded', 'failed', 'cancelled', 'aborted') AND NOT EXISTS ("
                "SELECT 1 FROM procrastinate_events e WHERE e.job_id = procrastinate_jobs.id "
                "AND e.at >= now() - make_interval(days => :days))")
