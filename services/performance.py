"""Performance metrics collected: each minute, the model usage logs of the minute before
become `performance_metrics` rows: requests, error rate (any status but success), latency
percentiles, tokens in and out, cost. The same minute gives rows at four levels:
- per organization, model and version, for the calls that name their version (the gateway
  knows its deployment's version; a chat reply names only the model);
- per organization and model, every call of the model (`model_version_id` NULL);
- per organization, all its models together (`model_id` NULL);
- for the whole platform (`organization_id` and `model_id` NULL), which only superusers read
  (db/scope.py hides rows without an organization from everyone else).
A model's calls are made in its own organization (chats and deployments belong to the
model's organization), so the model rows are per model.

A minute's rows are replaced whole (deleted and written in one statement), so a roll-up that
runs again, after late usage rows, leaves one set of values. The rows carry
`labels = {"source": "usage_logs", "window": "1m"}`; values measured elsewhere keep their
own labels and are left alone. After writing, the minute is compared with the models' alert
thresholds (services/performance_alerts.py), in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from sqlalchemy import text

from db.loaders.performance import METRICS, ROLL_UP_LABELS
from db.session import Database
from services.notifications import publish_notifications
from services.performance_alerts import Alert, check_thresholds
from services.settings import Settings

WINDOW = timedelta(minutes=1)
# how each metric is computed over a group's usage rows
USAGE_SQL = {
    "requests": "count(*)",
    "error_rate": "avg((u.status <> 'success')::int)",
    "latency_p50_ms": "percentile_cont(0.5) WITHIN GROUP (ORDER BY u.duration_ms)",
    "latency_p95_ms": "percentile_cont(0.95) WITHIN GROUP (ORDER BY u.duration_ms)",
    "latency_p99_ms": "percentile_cont(0.99) WITHIN GROUP (ORDER BY u.duration_ms)",
    "tokens_in": "coalesce(sum(u.input_tokens), 0)",
    "tokens_out": "coalesce(sum(u.output_tokens), 0)",
    "cost": "coalesce(sum(u.cost), 0)",
}
# GROUPING(organization, model, version) of each level: 0 per version, 1 per model, 3 per
# organization, 7 the platform; a version-level group of calls naming no version is skipped
# (its calls are in the model's row)
ROLL_UP = text(f"""
WITH replaced AS (
    DELETE FROM performance_metrics
    WHERE recorded_at = :start AND labels @> CAST(:labels AS jsonb)
), stats AS (
    SELECT u.organization_id, u.model_id, u.model_version_id,
           GROUPING(u.organization_id, u.model_id, u.model_version_id) AS level,
           {", ".join(f"({USAGE_SQL[m.name]})::float8 AS {m.name}" for m in METRICS)}
    FROM model_usage_logs u
    WHERE u.created_at >= :start AND u.created_at < :end
    GROUP BY GROUPING SETS ((u.organization_id, u.model_id, u.model_version_id),
                            (u.organization_id, u.model_id), (u.organization_id), ())
    HAVING count(*) > 0  -- the platform's group of a minute without calls: no row
)
INSERT INTO performance_metrics (organization_id, model_id, model_version_id, metric_name,
                                 metric_value, unit, labels, recorded_at)
SELECT s.organization_id, s.model_id, s.model_version_id, m.name, m.value, m.unit,
       CAST(:labels AS jsonb), :start
FROM stats s CROSS JOIN LATERAL (VALUES {", ".join(
    f"('{m.name}', s.{m.name}, '{m.unit}')" for m in METRICS)}) AS m(name, value, unit)
WHERE m.value IS NOT NULL AND NOT (s.level = 0 AND s.model_version_id IS NULL)""")


def minute_before(tick: datetime) -> datetime:
    """The last whole minute before `tick`: the one a roll-up at `tick` collects."""
    return tick.astimezone(UTC).replace(second=0, microsecond=0) - WINDOW


async def roll_up_tick(db: Database, settings: Settings, tick: datetime, *,
                       redis: Redis | None = None) -> int:
    """What the worker's minute task does at `tick`: the minute before, and the one before
    that again. A usage row carries the time its transaction began, so a reply that commits
    just after a minute's roll-up ran lands in that minute unseen; rolled up once more a
    minute later (rows replaced whole, thresholds already compared), it is counted."""
    last = minute_before(tick)
    written = 0
    for start in (last - WINDOW, last):
        written += await roll_up(db, settings, start, redis=redis)
    return written


async def roll_up(db: Database, settings: Settings, start: datetime, *,
                  redis: Redis | None = None) -> int:
    """Replace the rows of the minute from `start` and compare it with the alert thresholds;
    the number of rows written. The alerts' notifications are published on `redis` (when
    given) once committed."""
    alerts: list[Alert]
    async with db.sessionmaker() as session, session.begin():
        result = await session.execute(ROLL_UP, {"start": start, "end": start + WINDOW,
                                                 "labels": ROLL_UP_LABELS})
        alerts = await check_thresholds(session, start, settings)
    if redis is not None:
        await publish_notifications(redis, alerts)
    return int(result.rowcount)  # type: ignore[attr-defined]
