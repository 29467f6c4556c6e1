"""Prometheus metrics: what operators graph and alert on (the RED method: rate, errors,
duration), and the server's own moving parts.

With `serve --workers N`, each worker writes its values to files in
`PROMETHEUS_MULTIPROC_DIR` (set by `serve` before the workers start) and `/metrics`, whichever
worker answers it, sums them: a scrape sees the whole server, not one process. Gauges count
live processes only (`livesum`), so a worker that exits stops counting.
"""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
OPERATION_LABELS = ("operation_type", "operation_name", "outcome")
# latencies of small queries are milliseconds, of big answers or mutations up to seconds
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

GRAPHQL_REQUESTS = Counter(
    "aiplatform_graphql_requests", "GraphQL operations answered over HTTP, by outcome "
    "(ok, error: an answer with errors, refused: 4xx before execution, unavailable: 503)",
    OPERATION_LABELS)
GRAPHQL_DURATION = Histogram(
    "aiplatform_graphql_request_duration_seconds",
    "Time from a GraphQL request's arrival to its answer's last byte", OPERATION_LABELS,
    buckets=DURATION_BUCKETS)
PLANNER = Counter(
    "aiplatform_planner_requests", "Queries by the way they were answered: planned (first "
    "request), known (a repeated query answered without strawberry's pipeline), fallback "
    "(by reason), unplannable", ("outcome", "reason"))
WEBSOCKETS = Gauge("aiplatform_websocket_connections", "Open GraphQL websockets",
                   multiprocess_mode="livesum")
RATE_LIMITED = Counter("aiplatform_rate_limit_refusals", "Requests and websocket operations "
                       "refused by the rate limit", ("transport",))
PUBSUB_DELIVERED = Counter("aiplatform_pubsub_events_delivered", "Pub/sub events handed to a "
                           "local subscriber (or a shared fan-out, once for all its members)")
PUBSUB_DROPPED = Counter("aiplatform_pubsub_subscribers_dropped", "Local subscribers dropped "
                         "because their queue was full (the client read too slowly)")
# set by the worker that answers a scrape (app/http/metrics.py): with several workers a scrape
# shows that worker's pools, not the sum of all (each worker's pools are alike in size)
DB_CONNECTIONS = Gauge("aiplatform_db_pool_connections", "Database connections of the "
                       "answering worker's pools (reads: asyncpg, writes: the ORM's), by state "
                       "(in_use, idle)", ("pool", "state"), multiprocess_mode="livemostrecent")
SUBSCRIPTIONS = Gauge("aiplatform_subscriptions_active", "Subscriptions running over the "
                      "server's websockets, by root field", ("field",),
                      multiprocess_mode="livesum")
CHAT_TOKENS = Counter("aiplatform_chat_tokens", "Tokens of completed chat replies, by provider "
                      "and kind (prompt, completion)", ("provider", "kind"))
CHAT_REPLY_DURATION = Histogram(
    "aiplatform_chat_reply_duration_seconds", "Time from a chat reply's start to its storage, "
    "of completed replies, by provider", ("provider",),
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120))
REDIS_ERRORS = Counter("aiplatform_redis_errors", "Redis calls that failed while the server "
                       "carried on (by component: pubsub, its reader; auth, answered from "
                       "PostgreSQL; ratelimit, requests let through unchecked; cache, skipped; "
                       "chat, events of a reply not published)", ("component",))
PUBSUB_REDIS_ERRORS = REDIS_ERRORS.labels("pubsub")
# the worker tier (services/jobs/): queues as a scrape finds them in the database, and the
# jobs this process ran
JOBS = Gauge("aiplatform_jobs", "Worker jobs in the database by queue and status (todo: "
             "queued, doing: running, failed, succeeded, cancelled, aborted), read by the "
             "answering process at scrape time", ("queue", "status"),
             multiprocess_mode="livemostrecent")
JOBS_RUNNING = Gauge("aiplatform_jobs_running", "Jobs running in this server's workers, by "
                     "queue", ("queue",), multiprocess_mode="livesum")
JOB_DURATION = Histogram(
    "aiplatform_job_duration_seconds", "Time jobs ran, by queue and outcome (succeeded, "
    "failed, aborted)", ("queue", "outcome"),
    buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200))

OPERATION = "graphql_operation"  # the key of `Operation` in a request's ASGI state


class Operation(NamedTuple):
    """What the GraphQL endpoint tells the request's observers (the request log, the
    request metrics) about the operation it ran, whichever way it answered it."""

    type: str  # query, mutation, subscription
    name: str | None
    outcome: str  # ok, error, unavailable


MAX_OPERATION_NAMES = 200  # distinct names per process; later ones are counted as "other"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for an operation name: a scraper's memory cannot be exhausted by
    clients that send a new name with every request."""
    if not name:
        return ""
    if name in _names:
        return name
    if len(_names) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
        return "other"
    _names.add(name)
    return name


_operation_children: dict[tuple[str, str | None, str], tuple[Counter, Histogram]] = {}


def observe_operation(operation_type: str, operation_name: str | None, outcome: str,
                      seconds: float) -> None:
    key = (operation_type, operation_name, outcome)
    children = _operation_children.get(key)
    if children is None:  # each label set's children looked up once (bounded like the names)
        labels = (operation_type, operation_label(operation_name), outcome)
        children = (GRAPHQL_REQUESTS.labels(*labels), GRAPHQL_DURATION.labels(*labels))
        if len(_operation_children) < 4 * MAX_OPERATION_NAMES:
            _operation_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


_children: dict[tuple[Any, tuple[str, ...]], Any] = {}


def labelled(metric: Any, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once per label set: for metrics on hot paths whose
    label sets are few and fixed (the callers bound them)."""
    key = (metric, labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


def subscriptions_active(field: str) -> Gauge:
    """The running subscriptions' gauge of one root field (the caller passes only the
    schema's own subscription fields, so the children are few)."""
    gauge: Gauge = labelled(SUBSCRIPTIONS, field)
    return gauge


MAX_PROVIDERS = 50  # distinct provider names per process; later ones are counted as "other"
_reply_children: dict[str, tuple[Counter, Counter, Histogram]] = {}


def observe_reply(provider: str, prompt_tokens: int, completion_tokens: int,
                  seconds: float) -> None:
    """A completed chat reply. Provider names come from the models organizations register,
    so they are bounded like operation names."""
    children = _reply_children.get(provider)
    if children is None:
        label = provider if len(_reply_children) < MAX_PROVIDERS else "other"
        children = (CHAT_TOKENS.labels(label, "prompt"), CHAT_TOKENS.labels(label, "completion"),
                    CHAT_REPLY_DURATION.labels(label))
        if label != "other":
            _reply_children[provider] = children
    children[0].inc(prompt_tokens)
    children[1].inc(completion_tokens)
    children[2].observe(seconds)


def jobs_running(queue: str) -> Gauge:
    """The running jobs' gauge of one queue (the queues are the worker tier's fixed few)."""
    gauge: Gauge = labelled(JOBS_RUNNING, queue)
    return gauge


def observe_job(queue: str, outcome: str, seconds: float) -> None:
    labelled(JOB_DURATION, queue, outcome).observe(seconds)


# the OpenAI-compatible gateway (/v1): endpoints and outcomes are fixed sets
GATEWAY_REQUESTS = Counter(
    "aiplatform_gateway_requests", "Gateway calls by endpoint (chat_completions, embeddings, "
    "models) and outcome (ok, refused: 4xx, upstream_error, error, cancelled: the client "
    "left a stream)", ("endpoint", "outcome"))
GATEWAY_TOKENS = Counter("aiplatform_gateway_tokens", "Tokens of gateway calls, by kind "
                         "(prompt, completion)", ("kind",))
GATEWAY_DURATION = Histogram(
    "aiplatform_gateway_request_duration_seconds", "Time from a gateway call's arrival to its "
    "last byte, by endpoint", ("endpoint",), buckets=(*DURATION_BUCKETS, 30, 60, 120))


def observe_gateway(endpoint: str, outcome: str, seconds: float) -> None:
    labelled(GATEWAY_REQUESTS, endpoint, outcome).inc()
    labelled(GATEWAY_DURATION, endpoint).observe(seconds)


def observe_gateway_tokens(prompt_tokens: int, completion_tokens: int) -> None:
    if prompt_tokens:
        labelled(GATEWAY_TOKENS, "prompt").inc(prompt_tokens)
    if completion_tokens:
        labelled(GATEWAY_TOKENS, "completion").inc(completion_tokens)

def exposition() -> bytes:
    """The text a scrape gets: every worker's values summed in multiprocess mode."""
    directory = os.environ.get(MULTIPROCESS_DIR)
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    from prometheus_client import REGISTRY
    return generate_latest(REGISTRY)


def process_exited(pid: int) -> None:
    """Forget a worker's live gauges (called as it shuts down)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(pid)
