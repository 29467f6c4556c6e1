"""A deployment's live figures from the usage rows of its recent gateway calls: request rate,
error rate and latency over the last WINDOW_SECONDS (`Deployment.metrics`)."""

from __future__ import annotations

import uuid
from typing import Any

from db.session import Database

WINDOW_SECONDS = 300
RECENT_SQL = f"""
SELECT deployment_id, count(*), count(*) FILTER (WHERE status <> 'success'),
       avg(duration_ms), percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms),
       coalesce(sum(total_tokens), 0)
FROM model_usage_logs
WHERE deployment_id = ANY($1::uuid[]) AND created_at > now() - interval '{WINDOW_SECONDS} s'
GROUP BY deployment_id"""


def _ms(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


async def recent_usage(db: Database, deployment_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Per deployment, in key order: requests, errors, their rates and latency (ms)."""
    rows = {r[0]: r for r in await db.fetch(RECENT_SQL, list(deployment_ids))}
    out = []
    for key in deployment_ids:
        _, requests, failed, avg, p50, p95, tokens = rows.get(key) or (
            key, 0, 0, None, None, None, 0)
        out.append({
            "windowSeconds": WINDOW_SECONDS, "requests": requests, "errors": failed,
            "requestsPerMinute": round(requests * 60 / WINDOW_SECONDS, 3),
            "errorRate": round(failed / requests, 4) if requests else 0.0,
            "latencyMs": {"avg": _ms(avg), "p50": _ms(p50), "p95": _ms(p95)},
            "tokens": int(tokens),
        })
    return out
