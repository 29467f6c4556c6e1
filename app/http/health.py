"""Probes for orchestrators (Kubernetes, compose, load balancers).

`/livez` says the process answers (restart it if not); `/readyz` says it can serve: each
dependency is asked with a bound, so a stopped PostgreSQL or Redis turns the probe 503 within
a second instead of holding it, and the JSON names what failed (send no traffic here until
it is back). `/healthz` is `/readyz`, as it always was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

CHECK_SECONDS = 1.0


async def livez(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, Callable[[], Awaitable[Any]]] = {
        "postgresql": lambda: state.db.fetch("SELECT 1"),
        "redis": lambda: state.redis.ping(),
    }
    results = await asyncio.gather(*(_check(probe) for probe in checks.values()))
    report = dict(zip(checks, results, strict=True))
    ready = all(result == "ok" for result in results)
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": report},
                        status_code=200 if ready else 503)


async def _check(probe: Callable[[], Awaitable[Any]]) -> str:
    """"ok", or why not (the error's class: its text may carry a host or a user name)."""
    try:
        await asyncio.wait_for(probe(), CHECK_SECONDS)
    except TimeoutError:
        return f"no answer within {CHECK_SECONDS:g} s"
    except Exception as error:
        return f"failed: {type(error).__name__}"
    return "ok"
