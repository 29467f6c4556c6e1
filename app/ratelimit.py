"""Sliding-window rate limits in Redis: `rate_limit:user:{id}` and `rate_limit:ip:{ip}`.

Each key is a sorted set of request times. One Lua script drops the times older than the
window, refuses when `limit` remain (answering how long until the oldest one leaves), or
records the new time. Being one script, it is atomic across every worker and pod; refused
requests are not recorded, so a client that waits the advertised time gets through.
"""

from __future__ import annotations

import math
import secrets
import time

from redis.asyncio import Redis
from starlette.datastructures import Address, State
from starlette.requests import Request
from starlette.websockets import WebSocket

from app.settings import Settings
from db.scope import Principal

WINDOW_SECONDS = 60.0

_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return false
"""


class RateLimiter:
    """`hit(key, limit)`: None when allowed (and counted), else seconds until allowed."""

    def __init__(self, redis: Redis, window_seconds: float = WINDOW_SECONDS) -> None:
        self.redis = redis
        self.window = window_seconds
        self._script = redis.register_script(_SLIDING_WINDOW)

    async def hit(self, key: str, limit: int, *, now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        member = f"{now:.6f}:{secrets.token_hex(4)}"  # unique even for equal times
        wait = await self._script(keys=[key], args=[now, self.window, limit, member])
        return None if wait is None else max(float(wait), 0.0)


def user_key(user_id: object) -> str:
    return f"rate_limit:user:{user_id}"


def ip_key(ip: str) -> str:
    return f"rate_limit:ip:{ip}"


def retry_after_seconds(wait: float) -> int:
    """The integer a `Retry-After` header carries: never 0 while still refused."""
    return max(1, math.ceil(wait))


async def check_request(request: Request, principal: Principal) -> int | None:
    """Count one GraphQL request; None when allowed, else whole seconds to wait.

    GraphiQL's page (a GET without `query`) is not counted.
    """
    if request.method == "GET" and "query" not in request.query_params:
        return None
    return await check(request.app.state, principal, request.client)


async def check_operation(websocket: WebSocket, principal: Principal) -> int | None:
    """Count one operation started over a socket, against the same budget as a request: a
    socket would otherwise run any number of queries, mutations and subscriptions."""
    return await check(websocket.app.state, principal, websocket.client)


async def check(state: State, principal: Principal, client: Address | None) -> int | None:
    """Count one operation of `principal` calling from `client`; None when allowed, else whole
    seconds to wait. Authenticated callers (API keys count for their owner) are limited per
    user, anonymous ones per client IP."""
    settings: Settings = state.settings
    if not settings.rate_limit_enabled:
        return None
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None or limiter.redis is not state.redis:
        limiter = state.rate_limiter = RateLimiter(state.redis)
    if principal.user_id is not None:
        key, limit = user_key(principal.user_id), settings.rate_limit_per_minute_user
    else:
        key, limit = ip_key(client.host if client else "unknown"), settings.rate_limit_per_minute_ip
    wait = await limiter.hit(key, limit)
    return None if wait is None else retry_after_seconds(wait)
