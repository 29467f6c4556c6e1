"""Outages of the services the server stands on, told apart from bugs.

A request that fails because PostgreSQL or Redis cannot be reached is neither the client's
fault nor a bug in the server: the client gets the code SERVICE_UNAVAILABLE (and may retry
later), not INTERNAL_SERVER_ERROR, and the work is not run a second time on another path
(it would meet the same outage). `outage_of` recognises such failures wherever they come from:
asyncpg, SQLAlchemy (which wraps asyncpg's errors), redis-py, or the socket underneath.
"""

from __future__ import annotations

import asyncpg
import redis.exceptions
import sqlalchemy.exc

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_SECONDS = 1  # what a 503 suggests: the pools reconnect on the next request

_POSTGRES = (
    asyncpg.PostgresConnectionError,  # the connection broke, or could not be made
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up, admin kill
    asyncpg.exceptions.InsufficientResourcesError,  # out of connections, memory, disk
)
_REDIS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class ServiceUnavailable(Exception):
    """PostgreSQL or Redis could not answer: raised once, with the service's name."""

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
        if isinstance(current, ServiceUnavailable):
            return current
        if isinstance(current, _REDIS):
            return ServiceUnavailable("Redis", current)
        if isinstance(current, _POSTGRES):
            return ServiceUnavailable("PostgreSQL", current)
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return ServiceUnavailable("PostgreSQL", current)
        if isinstance(current, ConnectionError | TimeoutError):  # the socket itself (OSError)
            return ServiceUnavailable("PostgreSQL or Redis", current)
        original = getattr(current, "orig", None)  # SQLAlchemy's wrapper → asyncpg's error
        if isinstance(original, BaseException) and id(original) not in seen:
            current = original
            continue
        current = current.__cause__ or current.__context__
    return None
