"""The single migration creates every table, matches the models, and is reversible."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from db import migrate
from db.base import Base
from db.session import asyncpg_dsn

DATABASE = "aiplatform_migrations"


def _url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def _admin(server_url: str, sql: str) -> None:
    con = await asyncpg.connect(asyncpg_dsn(_url(server_url, "postgres")))
    try:
        await con.execute(sql)
    finally:
        await con.close()


async def _tables(url: str) -> set[str]:
    con = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await con.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await con.close()
    return {r[0] for r in rows} - {"alembic_version"}


JOB_QUEUE = {"procrastinate_jobs", "procrastinate_events", "procrastinate_workers",
             "procrastinate_periodic_defers"}  # the worker tier's (0008), not the models'


@pytest.fixture
def empty_database(services):
    server_url = services[0]
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    asyncio.run(_admin(server_url, f"CREATE DATABASE {DATABASE}"))
    yield _url(server_url, DATABASE)
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))


def test_upgrade_matches_models_and_downgrade_reverses_it(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    created = asyncio.run(_tables(empty_database))
    migrate.check(empty_database)  # raises when autogenerate would find a difference

    migrate.downgrade(empty_database, "base")
    after_downgrade = asyncio.run(_tables(empty_database))
    migrate.upgrade(empty_database)

    assert created == set(Base.metadata.tables) | JOB_QUEUE
    assert len(created) >= 38
    assert after_downgrade == set()
    assert asyncio.run(_tables(empty_database)) == created
