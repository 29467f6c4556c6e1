"""One engine (writes, through the ORM) and one asyncpg pool (reads, through hand-built SQL).

Reads skip SQLAlchemy on purpose: loaders return plain records, and building ORM entities
costs more than the SQL itself on read paths (DESIGN.md §6). Both talk to the same database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
import orjson
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


def make_engine(database_url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    return create_async_engine(
        sqlalchemy_url(database_url), pool_size=pool_size, max_overflow=max_overflow
    )


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

    def __init__(self, database_url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = sqlalchemy_url(database_url)
        self.engine = make_engine(database_url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessionmaker = make_sessionmaker(self.engine)
        self._pool_size = pool_size
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

    async def fetch(self, sql: str, *args: Any) -> Sequence[asyncpg.Record]:
        """Run one read statement on a pooled connection, outside any transaction."""
        if self._pool is None:
            raise RuntimeError("Database.connect() was not awaited")
        for listener in self.listeners:
            listener(sql)
        return await self._pool.fetch(sql, *args)
