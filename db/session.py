"""One engine (writes, through the ORM) and one asyncpg pool (reads, through hand-built SQL).

Reads skip SQLAlchemy on purpose: loaders return plain records, and building ORM entities
costs more than the SQL itself on read paths (DESIGN.md §6). Both talk to the same database.

Both pools are bounded and waited on for at most `pool_timeout` seconds: then the statement
fails with `PoolTimeout` (reads) or SQLAlchemy's `TimeoutError` (writes), which
services/availability.py answers as SERVICE_UNAVAILABLE. Both drop connections PostgreSQL cut
(a restart, a failover) instead of handing them out again: the engine pings a connection
before each checkout, and a read that fails on a broken connection is run once more on a new
one (reads change nothing, so a second try is safe). A connection the server cut in the middle
of a statement can still think that statement is running ("another operation is in
progress"): that counts as broken too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

QueryListener = Callable[[str], None]


def asyncpg_dsn(database_url: str) -> str:
    """The same URL in the plain libpq form asyncpg accepts."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def sqlalchemy_url(database_url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+asyncpg://" + database_url[len(prefix) :]
    return database_url


DEFAULT_POOL_TIMEOUT = 5.0  # seconds a statement waits for a free connection


class PoolTimeout(Exception):
    """No read connection came free within the pool timeout: the pool is exhausted."""


def broken_connection(error: BaseException) -> bool:
    """Whether asyncpg's `error` says its connection is unusable (not that a statement
    failed): the server closed it, it could not be made, or it was left mid-statement."""
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        return "another operation" in str(error)
    if isinstance(error, asyncpg.InterfaceError):
        return "connection is closed" in str(error) or "another operation" in str(error)
    return isinstance(error, (asyncpg.PostgresConnectionError, OSError,
                              asyncpg.exceptions.CannotConnectNowError))


def _mark_disconnects(context: ExceptionContext) -> None:
    """SQLAlchemy's asyncpg dialect does not count a connection left mid-statement as a
    disconnect: without this, the pool would hand it out again (and its ping would fail)."""
    error: BaseException | None = context.original_exception
    while error is not None:
        if broken_connection(error):
            context.is_disconnect = True
            return
        error = error.__cause__


def make_engine(database_url: str, *, pool_size: int = 10, max_overflow: int = 10,
                pool_timeout: float = DEFAULT_POOL_TIMEOUT) -> AsyncEngine:
    engine = create_async_engine(
        sqlalchemy_url(database_url), pool_size=pool_size, max_overflow=max_overflow,
        pool_timeout=pool_timeout, pool_pre_ping=True)
    event.listen(engine.sync_engine, "handle_error", _mark_disconnects)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


async def _init_connection(con: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await con.set_type_codec(
            typ, encoder=_json_text, decoder=orjson.loads, schema="pg_catalog"
        )


async def _no_reset(con: asyncpg.Connection) -> None:
    """Read connections never change session state, so asyncpg's 4-statement reset is waste."""


class Database:
    """The process's database handles; created and closed by the app lifespan."""

    def __init__(self, database_url: str, *, pool_size: int = 10, max_overflow: int = 10,
                 pool_timeout: float = DEFAULT_POOL_TIMEOUT) -> None:
        self.url = sqlalchemy_url(database_url)
        self.engine = make_engine(database_url, pool_size=pool_size, max_overflow=max_overflow,
                                  pool_timeout=pool_timeout)
        self.sessionmaker = make_sessionmaker(self.engine)
        self._pool_size = pool_size
        self._pool_timeout = pool_timeout
        self._pool: asyncpg.Pool | None = None
        self.listeners: list[QueryListener] = []

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(
            asyncpg_dsn(self.url),
            min_size=1,
            max_size=self._pool_size,
            init=_init_connection,
            reset=_no_reset,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await self.engine.dispose()

    @property
    def read_pool(self) -> asyncpg.Pool | None:
        """The asyncpg pool behind `fetch` (None until connected), for its figures."""
        return self._pool

    async def fetch(self, sql: str, *args: Any) -> Sequence[asyncpg.Record]:
        """Run one read statement on a pooled connection, outside any transaction; once
        more on a new connection when the first one turns out broken."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("Database.connect() was not awaited")
        for listener in self.listeners:
            listener(sql)
        try:
            return await self._fetch(pool, sql, args)
        except Exception as error:
            if not broken_connection(error):
                raise
        return await self._fetch(pool, sql, args)

    async def _fetch(self, pool: asyncpg.Pool, sql: str, args: tuple[Any, ...]
                     ) -> Sequence[asyncpg.Record]:
        try:
            # an idle connection is taken at once; only a wait needs the timeout (asyncpg
            # runs an acquire with a timeout as a task of its own, on every call)
            con = await (pool.acquire() if pool.get_idle_size() else
                         pool.acquire(timeout=self._pool_timeout))
        except TimeoutError:
            raise PoolTimeout(f"no database connection came free within "
                              f"{self._pool_timeout:g} s") from None
        try:
            return await con.fetch(sql, *args)
        except Exception as error:
            if broken_connection(error):
                con.terminate()  # not back into the pool: the next acquire connects anew
            raise
        finally:
            await pool.release(con)
