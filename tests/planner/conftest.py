"""The two paths of the differential tests, and their data and callers.

Every query runs through two schemas over the same database: the reference (planner off) and
the planned one. Data: small demo data (the benchmark's shape) plus one organization holding
every node type per world, read as a superuser, an owner, a viewer, another organization's
owner, a demo member and anonymously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import pytest

from app.demo_data import DemoSizes, generate
from db.scope import Principal
from db.session import Database, asyncpg_dsn
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from services.settings import Settings
from tests.isolation.world import World, build_world


@dataclass
class Paths:
    reference: Any
    planned: Any
    settings: Settings
    db: Database

    async def run(self, schema: Any, query: str, variables: dict[str, Any] | None,
                  principal: Principal, operation: str | None = None) -> bytes:
        context = Context(settings=self.settings, db=self.db, redis=None,  # type: ignore[arg-type]
                          principal=principal)
        result = await schema.execute(query, variable_values=variables, context_value=context,
                                      operation_name=operation)
        # strawberry's own error order follows which loader batch finished first (it varies
        # from run to run), so errors are compared in a fixed order; data byte for byte
        errors = sorted((e.formatted for e in result.errors or []),
                        key=lambda e: orjson.dumps([e.get("path"), e["message"]]))
        return orjson.dumps({"data": result.data, **({"errors": errors} if errors else {})})

    async def compare(self, query: str, variables: dict[str, Any] | None,
                      principal: Principal, operation: str | None = None) -> bool:
        """Assert both answers are identical; True when the planner answered."""
        snapshot = self.planned.planner.stats.snapshot
        before = snapshot()["planned"]
        expected = await self.run(self.reference, query, variables, principal, operation)
        got = await self.run(self.planned, query, variables, principal, operation)
        assert got == expected, f"\n{query}\n{variables}\n{principal}\n{expected!r}\n{got!r}"
        return snapshot()["planned"] > before


@pytest.fixture
async def paths(settings: Settings, db: Database) -> Paths:
    return Paths(build_schema(settings.model_copy(update={"planner": False})),
                 build_schema(settings.model_copy(update={"planner": True})), settings, db)


@pytest.fixture
async def worlds(db: Database, database_url: str, session) -> tuple[World, World]:
    await generate(database_url, DemoSizes(orgs=4, members=4, models=2, sessions=3,
                                           messages=6))
    a, b = await build_world(session, "a"), await build_world(session, "b")
    await session.commit()
    # soft-deleted rows are hidden on both paths: one chat session and one model of b's
    deleted = [(b.objects["ChatSession"].id, "chat_sessions"), (b.objects["AiModel"].id,
                                                                 "ai_models")]
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        for key, table in deleted:
            await con.execute(f"UPDATE {table} SET deleted_at = now() WHERE id = $1", key)
    finally:
        await con.close()
    return a, b


async def demo_member(database_url: str) -> Principal:
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await con.fetchrow("SELECT m.user_id, m.organization_id, m.role FROM memberships m"
                                 " JOIN organizations o ON o.id = m.organization_id"
                                 " WHERE o.slug NOT LIKE 'org-_' ORDER BY m.id LIMIT 1")
    finally:
        await con.close()
    return Principal.member(row[0], {row[1]: row[2]})


@pytest.fixture
async def principals(worlds: tuple[World, World], database_url: str) -> list[Principal]:
    a, b = worlds
    return [
        Principal.superuser(),
        Principal.member(a.owner.id, {a.organization.id: "owner"}),
        Principal.member(a.viewer.id, {a.organization.id: "viewer"}),
        Principal.member(b.owner.id, {b.organization.id: "owner"}),
        await demo_member(database_url),
        Principal.anonymous(),
    ]
