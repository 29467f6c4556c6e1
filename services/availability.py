"""Outages of the services the server stands on, told apart from bugs.

A request that fails because PostgreSQL or Redis cannot be reached is neither the client's
fault nor a bug in the server: the client gets the code SERVICE_UNAVAILABLE (and may retry
later), not INTERNAL_SERVER_ERROR, and the work is not run a second time on another path
(it would meet the same outage). `outage_of` recognises such failures wherever they come from:
asyncpg, SQLAlchemy (which wraps asyncpg's errors), redis-py, or the socket underneath.

What a stopped server looks like was read off real ones (tests/planner/test_outage.py stops
an embedded PostgreSQL under the running app): over a unix socket, a pool that reconnects
gets a bare `FileNotFoundError` from the socket's `connect` (the socket file is gone), over
TCP a `ConnectionRefusedError`; a connection the server closed is asyncpg's
`InterfaceError("connection is closed")` (inside SQLAlchemy's wrapper) or
`ConnectionDoesNotExistError` mid-statement; a server shutting down or starting up refuses
with `CannotConnectNowError`; a pooled connection cut mid-statement can come back from the
pool still "in operation" (asyncpg's `InternalClientError`). An `OSError` is an outage only
when it was raised inside the database or Redis client, so a missing upload or a provider's
refused socket stays a bug or the provider's error.

An exhausted pool is an outage too, of the service whose pool it is: no free connection
within the pool's timeout (db/session.py, services/redis_pool.py) is answered
SERVICE_UNAVAILABLE, as a server too busy to take the request, never as a crash.
"""

from __future__ import annotations

import traceback

import asyncpg
import redis.exceptions
import sqlalchemy.exc

from db.session import PoolTimeout

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 1  # what a 503 suggests: the pools reconnect on the next request

POSTGRES, REDIS = "PostgreSQL", "Redis"
_POSTGRES = (
    asyncpg.PostgresConnectionError,  # the connection broke, or could not be made
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, admin kill
    asyncpg.exceptions.InsufficientResourcesError,  # out of connections, memory, disk
    PoolTimeout,  # no read connection came free in time
    sqlalchemy.exc.TimeoutError,  # no write connection came free in time
)
_REDIS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# the client libraries by the top-level package of the code that raised (socket errors)
_CLIENTS = {"asyncpg": POSTGRES, "sqlalchemy": POSTGRES, "redis": REDIS}


class ServiceUnavailable(Exception):
    """PostgreSQL or Redis could not answer: raised once, with the service's name."""

    code = SERVICE_UNAVAILABLE

    def __init__(self, service: str, cause: BaseException | None = None) -> None:
        super().__init__(f"{service} is unavailable; try again shortly")
        self.service = service
        self.__cause__ = cause

    @property
    def message(self) -> str:
        return str(self)


def outage_of(error: BaseException) -> ServiceUnavailable | None:
    """The outage behind `error` (itself, its causes, SQLAlchemy's wrapped original), or None
    when it is something else: a bug or the client's doing."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        service = _service_down(current)
        if isinstance(service, ServiceUnavailable):
            return service
        if service is not None:
            return ServiceUnavailable(service, current)
        original = getattr(current, "orig", None)  # SQLAlchemy's wrapper → asyncpg's error
        if isinstance(original, BaseException) and id(original) not in seen:
            current = original
            continue
        current = current.__cause__ or current.__context__
    return None


def _service_down(error: BaseException) -> str | ServiceUnavailable | None:
    """The service `error` itself says is down, if it says so."""
    if isinstance(error, ServiceUnavailable):
        return error
    if isinstance(error, _REDIS):
        return REDIS
    if isinstance(error, _POSTGRES):
        return POSTGRES
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return POSTGRES
    if isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error):
        return POSTGRES  # (the test SQLAlchemy's asyncpg dialect makes in `is_disconnect`)
    if (isinstance(error, asyncpg.exceptions.InternalClientError)
            and "another operation" in str(error)):
        # a pooled connection the stopping server cut mid-statement, handed out again: its
        # protocol is still "in operation" when the next statement starts (seen when
        # PostgreSQL stopped under the running app)
        return POSTGRES
    if isinstance(error, OSError):
        return _raised_in_client(error)
    return None


def _raised_in_client(error: BaseException) -> str | None:
    """The service whose client library raised `error` (its innermost frame there)."""
    found = None
    for frame, _ in traceback.walk_tb(error.__traceback__):
        package = str(frame.f_globals.get("__name__", "")).partition(".")[0]
        found = _CLIENTS.get(package, found)
    return found
