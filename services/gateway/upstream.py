"""The process's one HTTP client towards model providers for gateway calls: its connections
stay open between requests, so a call does not pay for a new client (SSL context, pool) and
a new TCP connection each time. Created and closed by the app lifespan
(`app.state.upstream_http`)."""

from __future__ import annotations

import httpx

# streams held open at once per process, and idle connections kept for reuse
MAX_CONNECTIONS, KEEPALIVE = 1000, 100


def upstream_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(limits=httpx.Limits(max_connections=MAX_CONNECTIONS,
                                                 max_keepalive_connections=KEEPALIVE))
