"""Rows written before alembic 0007 are cut into words by it, in batches, and found by words."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from db import migrate
from db.session import asyncpg_dsn
from tests.test_migrations import _admin, _url

DATABASE = "aiplatform_search_words"
ROWS = 2500  # more than two of the migration's batches


@pytest.fixture
def old_database(services):
    server_url = services[0]
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    asyncio.run(_admin(server_url, f"CREATE DATABASE {DATABASE}"))
    url = _url(server_url, DATABASE)
    migrate.upgrade(url, "0005")
    yield url
    asyncio.run(_admin(server_url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))


async def _sql(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    con = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await con.fetch(sql, *args)
    finally:
        await con.close()


def test_the_migration_indexes_existing_rows_by_words(old_database: str) -> None:
    asyncio.run(_sql(old_database, """
        INSERT INTO system_logs (level, module, message)
        SELECT 'ERROR', 'app.tests', CASE WHEN i % 2 = 0 THEN '第' || i || '次训练出现故障'
                                          ELSE 'plain English record ' || i END
        FROM generate_series(1, $1::int) i""", ROWS))

    migrate.upgrade(old_database)

    counts = asyncio.run(_sql(old_database, """
        SELECT count(*) FILTER (WHERE search_text IS NOT NULL) AS cut,
               count(*) FILTER (WHERE search_vector @@ to_tsquery('zh_english', '故障')) AS fault,
               count(*) FILTER (WHERE search_vector @@ to_tsquery('zh_english', 'records'))
                   AS english
        FROM system_logs"""))[0]
    assert dict(counts) == {"cut": ROWS // 2, "fault": ROWS // 2, "english": ROWS // 2}
