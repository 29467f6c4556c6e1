"""Performance series of a model, an organization or the platform: the filter, the bucket and
the answer's types, and how a filter becomes the loader's `SeriesQuery`.

How a bucket combines the roll-up's minutes is described in db/loaders/performance.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import strawberry

from db.loaders.performance import BUCKETS, METRIC_NAMES, Series, SeriesQuery
from graphql_schema.errors import BadUserInput
from graphql_schema.relay import decode_global_id

MAX_POINTS = 1440


@strawberry.input(description=(
    "Which series, over which time: `metricName` one of " + ", ".join(METRIC_NAMES)
    + " (all of them when absent); `from` (inclusive) and `to` (exclusive, default now); "
    "`from` defaults to a day before `to` for minutes, a week for hours, 30 days for days; "
    "`modelVersionId` one version's series of a model instead of the whole model's."))
class PerformanceMetricFilter:
    metric_name: str | None = None
    from_: datetime | None = strawberry.field(name="from", default=None)
    to: datetime | None = None
    model_version_id: strawberry.ID | None = None


@strawberry.type(description="A bucket's value; `at` is when the bucket starts.")
class PerformancePoint:
    at: datetime
    value: float


@strawberry.type(description=(
    "One metric over time, a point per bucket with traffic. Per bucket, requests, tokens "
    "and cost are summed; the error rate and the latency percentiles are the minutes' values "
    "weighted by their requests (for percentiles an estimate)."))
class PerformanceSeries:
    metric_name: str
    unit: str | None
    points: list[PerformancePoint]


def series_query(filter: PerformanceMetricFilter | None, bucket: Any, *,
                 versions: bool = True) -> SeriesQuery:
    """The loader's query for `filter`; a BAD_USER_INPUT error for an unknown metric, an
    empty or reversed span, or one of more than MAX_POINTS buckets."""
    filter = filter or PerformanceMetricFilter()
    size = bucket.value
    names = METRIC_NAMES
    if filter.metric_name is not None:
        if filter.metric_name not in METRIC_NAMES:
            raise BadUserInput(f"filter.metricName: one of {', '.join(METRIC_NAMES)}",
                               field="filter")
        names = (filter.metric_name,)
    query = SeriesQuery(names, None if filter.from_ is None else _utc(filter.from_),
                        None if filter.to is None else _utc(filter.to), size)
    try:
        start, end = query.window(datetime.now(UTC))
    except OverflowError:  # a default `from` before the year 1
        raise BadUserInput("filter: `to` is too early", field="filter") from None
    if start >= end:
        raise BadUserInput("filter: `from` must be before `to`", field="filter")
    if (end - start) / BUCKETS[size] > MAX_POINTS:
        raise BadUserInput(f"filter: at most {MAX_POINTS} buckets of a {size}: narrow the "
                           "span or take a larger bucket", field="filter")
    version = None
    if filter.model_version_id is not None:
        if not versions:
            raise BadUserInput("filter.modelVersionId: only a model's series has versions",
                               field="filter")
        type_name, version = decode_global_id(filter.model_version_id, field="filter")
        if type_name != "ModelVersion":
            raise BadUserInput("filter.modelVersionId: not a model version", field="filter")
    return replace(query, model_version_id=version)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def as_series(found: list[Series]) -> list[PerformanceSeries]:
    return [PerformanceSeries(metric_name=s.metric_name, unit=s.unit,
                              points=[PerformancePoint(at=p.at, value=p.value)
                                      for p in s.points])
            for s in found]
