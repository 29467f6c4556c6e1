"""`/metrics` in Prometheus' text format, for a scraper: every worker's values summed
(services/metrics.py). With AIPLATFORM_METRICS_TOKEN set, the scraper sends it as a bearer
token (Prometheus' `authorization` setting); otherwise keep the port away from the public."""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response

from app.http.errors import error_response
from db.session import Database
from services.jobs.queues import QUEUES
from services.metrics import CONTENT_TYPE, DB_CONNECTIONS, JOBS, exposition

log = logging.getLogger("aiplatform")
JOB_STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")
JOB_COUNTS = ("SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
              "GROUP BY queue_name, status")


async def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            return error_response(401, "The metrics token is missing or wrong",
                                  {"code": "UNAUTHENTICATED"}, {"www-authenticate": "Bearer"})
    db = getattr(request.app.state, "db", None)  # absent without the lifespan
    if db is not None:
        observe_pools(db)
        await observe_jobs(db)
    return Response(exposition(), media_type=CONTENT_TYPE)


def observe_pools(db: Database) -> None:
    """The pools' connections as this scrape finds them: a pool's figures live in the process
    that holds it, and a scrape is when someone looks."""
    reads = db.read_pool  # None until connected
    if reads is not None:
        idle = reads.get_idle_size()
        DB_CONNECTIONS.labels("reads", "in_use").set(reads.get_size() - idle)
        DB_CONNECTIONS.labels("reads", "idle").set(idle)
    writes = db.engine.pool
    DB_CONNECTIONS.labels("writes", "in_use").set(writes.checkedout())  # type: ignore[attr-defined]
    DB_CONNECTIONS.labels("writes", "idle").set(writes.checkedin())  # type: ignore[attr-defined]


async def observe_jobs(db: Database) -> None:
    """The worker tier's jobs by queue and status as the database holds them, whichever
    processes (servers, `aiplatform worker`s) run them: queue depth is `todo`, running is
    `doing`. Statuses without jobs read 0, so a drained queue shows as drained."""
    try:
        rows = await db.fetch(JOB_COUNTS)
    except Exception:  # the scrape still answers with what this process knows
        log.warning("could not count the worker tier's jobs", exc_info=True)
        return
    counts = {(queue, status): 0 for queue in QUEUES for status in JOB_STATUSES}
    counts.update({(queue, status): n for queue, status, n in rows if queue in QUEUES})
    for (queue, status), n in counts.items():
        JOBS.labels(queue, status).set(n)
