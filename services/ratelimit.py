"""Sliding-window rate limits in Redis: `rate_limit:user:{id}` and `rate_limit:ip:{ip}`.

Each key is a sorted set of request times. One Lua script drops the times older than the
window, refuses when `limit` remain (answering how long until the oldest one leaves), or
records the new time. Being one script, it is atomic across every worker and pod; refused
requests are not recorded, so a client that waits the advertised time gets through.

Without Redis nothing can be counted: requests are let through unchecked (fail open: logged,
and counted in `aiplatform_redis_errors{component="ratelimit"}`), or, with
`AIPLATFORM_RATE_LIMIT_FAIL_CLOSED=true`, refused as SERVICE_UNAVAILABLE (HTTP 503).
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.datastructures import Address, State
from starlette.requests import Request
from starlette.websockets import WebSocket

from db.scope import Principal
from services.availability import REDIS, ServiceUnavailable
from services.metrics import REDIS_ERRORS
from services.redis_pool import redis_down
from services.settings import Settings

log = logging.getLogger("aiplatform.ratelimit")

WINDOW_SECONDS = 60.0

_HIT = """
local function hit(key, now, window, limit, member, n)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local used = redis.call('ZCARD', key)
  if used >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {tostring(tonumber(oldest[2]) + window - now), 0}
  end
  local granted, args = math.min(n, limit - used), {}
  for i = 1, granted do
    args[2 * i - 1], args[2 * i] = now, member .. ':' .. i
  end
  redis.call('ZADD', key, unpack(args))
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {false, granted}
end
"""
_SLIDING_WINDOW = _HIT + """
return hit(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], 1)[1]
"""
# The cached session and user of an access token (principals.py), and up to ARGV[5]
# requests counted when both say the caller is signed in: authentication and the limit in
# one round trip. Otherwise nothing is counted (-1); the caller authenticates from
# PostgreSQL, then counts.
_SIGNED_IN_HIT = _HIT + """
local session, user = redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])
if not session or not user then return {session, user, false, -1} end
local ok_s, s = pcall(cjson.decode, session)
local ok_u, u = pcall(cjson.decode, user)
if not (ok_s and ok_u and s['revoked'] == false and u['active'] == true
        and tonumber(s['expires']) > tonumber(ARGV[1])) then
  return {session, user, false, -1}
end
local counted = hit(KEYS[3], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4],
                    tonumber(ARGV[5]))
return {session, user, counted[1], counted[2]}
"""


class RateLimiter:
    """`hit(key, limit)`: None when allowed (and counted), else seconds until allowed."""

    def __init__(self, redis: Redis, window_seconds: float = WINDOW_SECONDS) -> None:
        self.redis = redis
        self.window = window_seconds
        self._script = redis.register_script(_SLIDING_WINDOW)
        self._signed_in_script = redis.register_script(_SIGNED_IN_HIT)

    async def hit(self, key: str, limit: int, *, now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        wait = await self._script(keys=[key], args=[now, self.window, limit, _member(now)])
        return None if wait is None else max(float(wait), 0.0)

    async def signed_in_hit(self, session_key: str, user_cache_key: str, key: str,
                            limit: int, slots: int = 1
                            ) -> tuple[bytes | None, bytes | None, float | None, int]:
        """The cached session and user, the wait (as `hit`) and how many requests were
        counted, at most `slots` (the caller uses them one by one): -1 when nothing was,
        because the cache entries are missing or say the caller is not signed in."""
        now = time.time()
        session, user, wait, granted = await self._signed_in_script(
            keys=[session_key, user_cache_key, key],
            args=[now, self.window, limit, _member(now), slots])
        return (session, user, None if wait is None else max(float(wait), 0.0),
                int(granted))


def _member(now: float) -> str:
    return f"{now:.6f}:{secrets.token_hex(4)}"  # unique even for equal times


def limiter_of(state: State) -> RateLimiter:
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None or limiter.redis is not state.redis:
        limiter = state.rate_limiter = RateLimiter(state.redis)
    return limiter


def user_key(user_id: object) -> str:
    return f"rate_limit:user:{user_id}"


def ip_key(ip: str) -> str:
    return f"rate_limit:ip:{ip}"


def retry_after_seconds(wait: float) -> int:
    """The integer a `Retry-After` header carries: never 0 while still refused."""
    return max(1, math.ceil(wait))


@dataclass(slots=True)
class Count:
    """One request to count for the caller an access token names, in the same round trip as
    the token's session is read (principals.py); `done` when that counted it."""

    limiter: RateLimiter
    limit: int
    done: bool = False
    wait: float | None = None


def request_count(request: Request) -> Count | None:
    """What `authenticate` may count for this request: nothing when limits are off or for
    GraphiQL's page (a GET without `query`)."""
    settings: Settings = request.app.state.settings
    if not settings.rate_limit_enabled or (
            request.method == "GET" and "query" not in request.query_params):
        return None
    return Count(limiter_of(request.app.state), settings.rate_limit_per_minute_user)


async def check_request(request: Request, principal: Principal, count: Count | None
                        ) -> int | None:
    """Count one GraphQL request (unless authentication counted it already); None when
    allowed, else whole seconds to wait."""
    if count is None:
        return None
    if count.done:
        return None if count.wait is None else retry_after_seconds(count.wait)
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
    limiter = limiter_of(state)
    if principal.user_id is not None:
        key, limit = user_key(principal.user_id), settings.rate_limit_per_minute_user
    else:
        key, limit = ip_key(client.host if client else "unknown"), settings.rate_limit_per_minute_ip
    try:
        wait = await limiter.hit(key, limit)
    except Exception as error:
        if not redis_down(error):
            raise
        REDIS_ERRORS.labels("ratelimit").inc()
        if settings.rate_limit_fail_closed:
            raise ServiceUnavailable(REDIS) from error
        _unchecked.note()
        return None
    return None if wait is None else retry_after_seconds(wait)


class _Unchecked:
    """Requests let through unchecked while Redis is down: one log line per `every` seconds
    with how many, not one per request."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.count = 0
        self.logged = -math.inf

    def note(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.logged >= self.every:
            log.warning("Redis is unavailable: %d requests let through without a rate limit "
                        "check (AIPLATFORM_RATE_LIMIT_FAIL_CLOSED=true refuses them)",
                        self.count)
            self.logged, self.count = now, 0


_unchecked = _Unchecked()
