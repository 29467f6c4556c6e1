"""Performance metrics collected: each minute, the model usage logs of the minute before
become `performance_metrics` rows per organization and model: requests, error rate (any
status but success), latency percentiles, tokens in and out, cost. Usage logs do not name a
model version, so the rows name none either.

A minute's rows are replaced whole (deleted and written in one statement), so a roll-up that
runs twice, or again after late usage rows, leaves one set of values. The rows carry
`labels = {"source": "usage_logs", "window": "1m"}`; values measured elsewhere (an outside
trainer's accuracy) keep their own labels and are left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from db.session import Database

WINDOW = timedelta(minutes=1)
LABELS = '{"source": "usage_logs", "window": "1m"}'
# metric name, SQL over one group's usage rows, unit
METRICS = (
    ("requests", "count(*)", "count"),
    ("error_rate", "avg((u.status <> 'success')::int)", "ratio"),
    ("latency_p50_ms", "percentile_cont(0.5) WITHIN GROUP (ORDER BY u.duration_ms)", "ms"),
    ("latency_p95_ms", "percentile_cont(0.95) WITHIN GROUP (ORDER BY u.duration_ms)", "ms"),
    ("latency_p99_ms", "percentile_cont(0.99) WITHIN GROUP (ORDER BY u.duration_ms)", "ms"),
    ("tokens_in", "coalesce(sum(u.input_tokens), 0)", "tokens"),
    ("tokens_out", "coalesce(sum(u.output_tokens), 0)", "tokens"),
    ("cost", "coalesce(sum(u.cost), 0)", "currency"),
)

ROLL_UP = text(f"""
WITH replaced AS (  -- by model first: the index on (model_id, metric_name, recorded_at)
    DELETE FROM performance_metrics
    WHERE model_id IN (SELECT DISTINCT model_id FROM model_usage_logs
                       WHERE created_at >= :start AND created_at < :end)
      AND recorded_at = :start AND labels @> CAST(:labels AS jsonb)
), stats AS (
    SELECT u.organization_id, u.model_id,
           {", ".join(f"({sql})::float8 AS {name}" for name, sql, _ in METRICS)}
    FROM model_usage_logs u
    WHERE u.created_at >= :start AND u.created_at < :end
    GROUP BY u.organization_id, u.model_id
)
INSERT INTO performance_metrics (organization_id, model_id, metric_name, metric_value, unit,
                                 labels, recorded_at)
SELECT s.organization_id, s.model_id, m.name, m.value, m.unit,
       CAST(:labels AS jsonb), :start
FROM stats s CROSS JOIN LATERAL (VALUES {", ".join(
    f"('{name}', s.{name}, '{unit}')" for name, _, unit in METRICS)}) AS m(name, value, unit)
WHERE m.value IS NOT NULL""")


def minute_before(tick: datetime) -> datetime:
    """The last whole minute before `tick`: the one a roll-up at `tick` collects."""
    return tick.astimezone(UTC).replace(second=0, microsecond=0) - WINDOW


async def roll_up(db: Database, start: datetime) -> int:
    """Replace the rows of the minute from `start`; the number of rows written."""
    async with db.sessionmaker() as session, session.begin():
        result = await session.execute(ROLL_UP, {"start": start, "end": start + WINDOW,
                                                 "labels": LABELS})
    return int(result.rowcount)  # type: ignore[attr-defined]
