"""Alembic environment: async engine (asyncpg), metadata of every model in db.models.

The URL is `sqlalchemy.url` from the config (db.migrate sets it) or else DATABASE_URL. A
caller that already holds a sync Connection (e.g. AsyncConnection.run_sync) can pass it as
`config.attributes["connection"]` and the migration runs on it, inside its transaction.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from db.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or the DATABASE_URL variable")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """The worker tier's job queue (procrastinate_*, migration 0008) is procrastinate's
    schema, not the models': autogenerate and `check` leave it alone."""
    return not (type_ == "table" and name is not None and name.startswith(JOB_QUEUE_PREFIX))


JOB_QUEUE_PREFIX = "procrastinate_"


def configure(**kwargs: object) -> None:
    context.configure(target_metadata=target_metadata, compare_type=True,
                      include_name=include_name, **kwargs)


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`) without connecting."""
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
