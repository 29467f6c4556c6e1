"""The process's Redis client: a bounded pool, waited on for a bounded time, behind a breaker.

Every Redis call takes a connection from one `BlockingConnectionPool` of
`redis_pool_size` connections; a call that finds none free within
`redis_pool_timeout_seconds` fails with redis-py's ConnectionError ("No connection
available."), which services/availability.py counts as an outage: SERVICE_UNAVAILABLE, never a
500 or a dropped socket.

When Redis is down, each call would try to connect again (and fail) on its own: a burst of
requests would spend its time on refused connects. The `Breaker` lets one connect through per
`BREAKER_INTERVAL` while Redis is down and refuses the others at once, with the same
ConnectionError, so the callers that can do without Redis (authentication, rate limiting,
caches) carry on at full speed. A command is retried once, without a pause, on a connection
that broke: a pooled connection Redis closed when it restarted is replaced, not reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from typing import TypeVar

import redis.exceptions
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from services.availability import REDIS, outage_of
from services.metrics import REDIS_ERRORS
from services.settings import Settings

log = logging.getLogger("aiplatform.redis")

BREAKER_INTERVAL = 1.0  # seconds between connects while Redis is down


class BreakerOpen(redis.exceptions.ConnectionError):
    """Redis failed its last connect less than `BREAKER_INTERVAL` ago: not tried again yet."""


class Breaker:
    """Whether a connect may be tried: always while the service is up; once per `interval`
    (the first caller after it) while it is down."""

    def __init__(self, service: str, interval: float = BREAKER_INTERVAL) -> None:
        self.service = service
        self.interval = interval
        self.down_since: float | None = None
        self._next_try = 0.0

    @property
    def is_open(self) -> bool:
        return self.down_since is not None

    def allow(self) -> bool:
        if self.down_since is None:
            return True
        now = time.monotonic()
        if now < self._next_try:
            return False
        self._next_try = now + self.interval  # this caller probes; the others wait for it
        return True

    def failed(self) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            log.warning("%s is unreachable; trying again once per %g s", self.service,
                        self.interval)
        self._next_try = now + self.interval

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning("%s is reachable again after %.1f s", self.service,
                        time.monotonic() - self.down_since)
            self.down_since = None


class GuardedPool(BlockingConnectionPool):
    """redis-py's blocking pool, whose connects pass the breaker."""

    breaker: Breaker

    async def ensure_connection(self, connection: AbstractConnection) -> None:
        if not self.breaker.allow():
            raise BreakerOpen("Redis is unavailable (its last connect failed)")
        try:
            await super().ensure_connection(connection)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            self.breaker.failed()
            raise
        self.breaker.succeeded()


def make_redis(url: str, settings: Settings) -> Redis:
    """The client the lifespan owns: its pool is closed with it."""
    pool = GuardedPool.from_url(url, max_connections=settings.redis_pool_size,
                                timeout=settings.redis_pool_timeout_seconds,
                                retry=Retry(NoBackoff(), 1))
    pool.breaker = Breaker("Redis")
    return Redis.from_pool(pool)


T = TypeVar("T")


async def best_effort(call: Awaitable[T], component: str) -> T | None:
    """A Redis call its caller can do without: None when Redis is down (counted in
    `aiplatform_redis_errors` under `component`); any other failure is raised."""
    try:
        return await call
    except Exception as error:
        if not redis_down(error):
            raise
        REDIS_ERRORS.labels(component).inc()
        return None


def redis_down(error: BaseException) -> bool:
    """Whether `error` says Redis could not be reached (or had no free connection)."""
    down = outage_of(error)
    return down is not None and down.service == REDIS
