"""`aiplatform demo-data --knowledge`: seed 002's three collections, their Chinese and English
documents embedded and READY, their metadata (language detected) on every chunk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from app.demo_data import DemoSizes, generate
from db.models import Base
from db.session import asyncpg_dsn

pytestmark = pytest.mark.slow


@pytest.fixture
async def con(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        yield connection
    finally:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        await connection.execute(f"TRUNCATE {tables} CASCADE")
        await connection.close()


async def test_the_knowledge_collections_are_ready_to_query(database_url, con) -> None:
    report = await generate(database_url, DemoSizes(orgs=1, members=2, models=1, sessions=0,
                                                    messages=0, knowledge=True))

    collections = await con.fetch(
        "SELECT c.name, c.embedding_model, count(*) AS documents, "
        "count(*) FILTER (WHERE d.upload_status = 'completed') AS ready, "
        "count(*) FILTER (WHERE d.metadata->>'language' = 'zh') AS chinese "
        "FROM knowledge_collections c JOIN knowledge_documents d ON d.collection_id = c.id "
        "GROUP BY c.name, c.embedding_model ORDER BY c.name")
    assert [tuple(c) for c in collections] == [
        (name, "multilingual-e5-small", 10, 10, 5)
        for name in ("charging_knowledge", "technical_specs", "troubleshooting_guides")]
    chunks = await con.fetchval("SELECT count(*) FROM knowledge_chunks "
                                "WHERE metadata ? 'category' AND metadata ? 'language'")
    assert chunks >= 30
    assert "30 knowledge documents embedded" in report
