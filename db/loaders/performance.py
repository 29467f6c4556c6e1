"""Performance metric series: the roll-up's minute rows (services/performance.py) combined per
bucket of a minute, an hour or a day (UTC), one statement for every parent of a query level.

How a bucket combines its minutes, per metric (`Metric.combine`):
- `requests`, `tokens_in`, `tokens_out`, `cost`: summed.
- `error_rate`: weighted by each minute's requests, which makes it the bucket's errors over
  its requests, exactly.
- `latency_p50_ms`, `latency_p95_ms`, `latency_p99_ms`: weighted by each minute's requests as
  well. Percentiles do not add up, so this is an estimate (the exact value needs the usage
  rows themselves); it follows the bulk of the calls, where the maximum of the minutes'
  values would let one slow minute with two calls stand for a busy hour.
A bucket without traffic has no point.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from db.session import Database

SUM, WEIGHTED = "sum", "weighted"
REQUESTS = "requests"
ROLL_UP_LABELS = '{"source": "usage_logs", "window": "1m"}'


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: str
    combine: str  # SUM or WEIGHTED (by the minute's requests)


METRICS = (
    Metric(REQUESTS, "count", SUM),
    Metric("error_rate", "ratio", WEIGHTED),
    Metric("latency_p50_ms", "ms", WEIGHTED),
    Metric("latency_p95_ms", "ms", WEIGHTED),
    Metric("latency_p99_ms", "ms", WEIGHTED),
    Metric("tokens_in", "tokens", SUM),
    Metric("tokens_out", "tokens", SUM),
    Metric("cost", "currency", SUM),
)
METRIC_NAMES = tuple(m.name for m in METRICS)
SUMMED = [m.name for m in METRICS if m.combine == SUM]
BUCKETS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1),
           "day": timedelta(days=1)}
# the span answered when no start is given: a day of minutes, a week of hours, 30 days
DEFAULT_SPANS = {"minute": timedelta(days=1), "hour": timedelta(days=7),
                 "day": timedelta(days=30)}


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """Which series, over [start, end), in buckets of `bucket` (a key of BUCKETS). For a
    model, `model_version_id` picks one version's series; None, the model's as a whole.

    An absent end is "now" and an absent start DEFAULT_SPANS before the end, settled when
    the statement runs, so every parent of a query level asks the same query."""

    names: tuple[str, ...]
    start: datetime | None
    end: datetime | None
    bucket: str
    model_version_id: uuid.UUID | None = None

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        end = self.end or now
        return self.start or end - DEFAULT_SPANS[self.bucket], end


@dataclass(frozen=True, slots=True)
class Point:
    at: datetime  # the bucket's start
    value: float


@dataclass(slots=True)
class Series:
    metric_name: str
    unit: str | None
    points: list[Point] = field(default_factory=list)


def _sql(source: str, key: str, where: str) -> str:
    return f"""
WITH minutes AS (
    SELECT {key} AS key, pm.metric_name, pm.unit, pm.recorded_at, pm.metric_value,
           max(pm.metric_value) FILTER (WHERE pm.metric_name = '{REQUESTS}') OVER (
               PARTITION BY pm.organization_id, pm.model_id, pm.model_version_id,
                            pm.recorded_at) AS weight
    FROM {source}
    WHERE {where} AND pm.labels @> '{ROLL_UP_LABELS}'::jsonb
      AND pm.metric_name = ANY($2::text[]) AND pm.recorded_at >= $3 AND pm.recorded_at < $4
)
SELECT key, metric_name, max(unit), date_trunc($5, recorded_at, 'UTC') AS at,
       CASE WHEN metric_name = ANY($6::text[]) THEN sum(metric_value)
            ELSE sum(metric_value * weight) / nullif(sum(weight), 0) END
FROM minutes WHERE metric_name = ANY($7::text[])
GROUP BY key, metric_name, at ORDER BY key, metric_name, at"""


# a model's rows of its own organization: the caller could read the model, so it may read them
MODEL_SQL = _sql(
    "performance_metrics pm JOIN ai_models m ON m.id = pm.model_id "
    "AND m.organization_id = pm.organization_id",
    "pm.model_id",
    "pm.model_id = ANY($1::uuid[]) AND pm.model_version_id IS NOT DISTINCT FROM $8::uuid")
ORGANIZATION_SQL = _sql(
    "performance_metrics pm", "pm.organization_id",
    "pm.organization_id = ANY($1::uuid[]) AND pm.model_id IS NULL")
PLATFORM_SQL = _sql(
    "performance_metrics pm", "NULL::uuid",
    "cardinality($1::uuid[]) = 0 AND pm.organization_id IS NULL AND pm.model_id IS NULL")


def _params(query: SeriesQuery, keys: list[uuid.UUID]) -> list[Any]:
    start, end = query.window(datetime.now(UTC))
    return [keys, sorted({*query.names, REQUESTS}), start, end, query.bucket, SUMMED,
            list(query.names)]


def _collect(records: list[Any], query: SeriesQuery) -> dict[Any, list[Series]]:
    """Series per key, in the order of `query.names`; a metric without points is left out."""
    found: dict[Any, dict[str, Series]] = defaultdict(dict)
    for key, name, unit, at, value in records:
        if value is None:
            continue
        series = found[key].get(name)
        if series is None:
            series = found[key][name] = Series(name, unit)
        series.points.append(Point(at, float(value)))
    return {key: [by_name[n] for n in query.names if n in by_name]
            for key, by_name in found.items()}


async def series_by_model(db: Database, keys: list[tuple[SeriesQuery, uuid.UUID]]
                          ) -> list[list[Series]]:
    """Per (query, model id), in key order: the model's series. One statement per distinct
    query (a query level asks one)."""
    by_query: dict[SeriesQuery, list[uuid.UUID]] = defaultdict(list)
    for query, model_id in keys:
        by_query[query].append(model_id)
    answers: dict[tuple[SeriesQuery, uuid.UUID], list[Series]] = {}
    for query, model_ids in by_query.items():
        records = await db.fetch(MODEL_SQL, *_params(query, model_ids),
                                 query.model_version_id)
        for model_id, series in _collect(records, query).items():
            answers[(query, model_id)] = series
    return [answers.get(key, []) for key in keys]


async def series_of_organization(db: Database, query: SeriesQuery,
                                 organization_id: uuid.UUID | None) -> list[Series]:
    """The series of an organization's models together, or of the whole platform (None)."""
    if organization_id is None:
        records = await db.fetch(PLATFORM_SQL, *_params(query, []))
    else:
        records = await db.fetch(ORGANIZATION_SQL, *_params(query, [organization_id]))
    return next(iter(_collect(records, query).values()), [])
