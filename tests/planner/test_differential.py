"""The planner's answers are strawberry's answers: same data, same errors, same key order.

Every query runs through two schemas over the same database: the reference (planner off) and
the planned one. The answers are compared as JSON bytes, so a key out of order fails too.
Data: small demo data (the benchmark's shape) plus one organization holding every node type
per world, read as a superuser, an owner, a viewer, another organization's owner, a demo
member and anonymously.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
import pytest

from app.settings import Settings
from db.demo_data import DemoSizes, generate
from db.scope import Principal
from db.session import Database, asyncpg_dsn
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from tests.isolation.world import World, build_world
from tests.planner.queries import (
    DEEP_CHAT,
    FILTERS,
    FRAGMENTS,
    NESTED,
    NODE,
    NODES,
    PAGES,
    SIMPLE,
    UNPLANNABLE,
    Generator,
)

GENERATED = int(os.environ.get("PLANNER_DIFFERENTIAL_QUERIES", "400"))


@dataclass
class Paths:
    reference: Any
    planned: Any
    settings: Settings
    db: Database

    async def run(self, schema: Any, query: str, variables: dict[str, Any] | None,
                  principal: Principal) -> bytes:
        context = Context(settings=self.settings, db=self.db, redis=None,  # type: ignore[arg-type]
                          principal=principal)
        result = await schema.execute(query, variable_values=variables, context_value=context)
        # strawberry's own error order follows which loader batch finished first (it varies
        # from run to run), so errors are compared in a fixed order; data byte for byte
        errors = sorted((e.formatted for e in result.errors or []),
                        key=lambda e: orjson.dumps([e.get("path"), e["message"]]))
        return orjson.dumps({"data": result.data, **({"errors": errors} if errors else {})})

    async def compare(self, query: str, variables: dict[str, Any] | None,
                      principal: Principal) -> bool:
        """Assert both answers are identical; True when the planner answered."""
        stats = self.planned.planner.stats
        before = stats["planned"]
        expected = await self.run(self.reference, query, variables, principal)
        got = await self.run(self.planned, query, variables, principal)
        assert got == expected, f"\n{query}\n{variables}\n{principal}\n{expected!r}\n{got!r}"
        return stats["planned"] > before


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


async def callers(worlds: tuple[World, World], database_url: str) -> list[Principal]:
    a, b = worlds
    return [
        Principal.superuser(),
        Principal.member(a.owner.id, {a.organization.id: "owner"}),
        Principal.member(a.viewer.id, {a.organization.id: "viewer"}),
        Principal.member(b.owner.id, {b.organization.id: "owner"}),
        await demo_member(database_url),
        Principal.anonymous(),
    ]


def corpus(worlds: tuple[World, World], cursor: str) -> list[tuple[str, dict[str, Any] | None]]:
    a, b = worlds
    return [
        (NESTED, None),
        (NESTED, {"orgs": 2, "members": 3, "sessions": 1, "messages": 4}),
        (SIMPLE, None),
        (SIMPLE, {"limit": 0}),
        (FRAGMENTS, {"withSlug": True, "skipRole": False}),
        (FRAGMENTS, {"withSlug": False, "skipRole": True}),
        (PAGES, {"first": 3}),
        (PAGES, {"first": 2, "after": cursor}),
        (PAGES, {"last": 2, "before": cursor}),
        (PAGES, {"last": 3}),
        (PAGES, {"first": 0}),
        (PAGES, {"first": 101}),  # BAD_USER_INPUT
        (PAGES, {"first": 1, "last": 1}),  # BAD_USER_INPUT
        (PAGES, {"first": 1, "after": "bm90IGEgY3Vyc29y"}),  # malformed cursor
        (FILTERS, {"roles": ["OWNER", "VIEWER"], "text": "a"}),
        (FILTERS, {"roles": None, "text": None}),
        (DEEP_CHAT, None),
        *[(NODE, {"id": w.gid(t)}) for w in (a, b)
          for t in ("User", "Organization", "AiModel", "ChatSession", "File", "Membership")],
        (NODE, {"id": "not-an-id"}),
        (NODE, {"id": "VXNlcjp4"}),  # "User:x"
        (NODE, {"id": a.gid("User").replace("A", "B", 1)}),
        (NODES, {"ids": [a.gid("Membership"), b.gid("Membership"), a.gid("User")]}),
        (NODES, {"ids": [a.gid("Membership"), "bad"]}),
        (NODES, {"ids": [a.gid("Membership")] * 101}),
        (UNPLANNABLE, None),
        ("{ organizations { edges { node { id } } } }", None),
        ("{ __typename a: organizations(first: 1) { totalCount } b: organizations(last: 1)"
         " { totalCount edges { node { name } } } }", None),
        ("query($n: Int = 2) { users(first: $n, orderBy: {field: USERNAME, direction: DESC})"
         " { edges { cursor node { username organizations(first: 1) { edges { node { slug } }"
         " } } } } }", None),
    ]


async def test_corpus_gives_the_same_answers(paths: Paths, worlds, database_url: str) -> None:
    # given a cursor into the users list
    first = orjson.loads(await paths.run(paths.reference, PAGES, {"first": 3},
                                         Principal.superuser()))
    cursor = first["data"]["users"]["pageInfo"]["endCursor"]
    planned = 0
    # when every corpus query runs as every caller, then both paths agree
    for principal in await callers(worlds, database_url):
        for query, variables in corpus(worlds, cursor):
            planned += await paths.compare(query, variables, principal)
    # and most of them were answered by the planner (errors and `viewer` are not)
    assert planned >= 6 * 20


async def test_generated_queries_give_the_same_answers(paths: Paths, worlds,
                                                       database_url: str) -> None:
    a, b = worlds
    principals = await callers(worlds, database_url)
    ids = [*sorted(a.global_ids | b.global_ids), "bm9wZQ==", "not-an-id"]
    generator = Generator(paths.planned._schema, paths.planned, ids, seed=7)
    planned = 0
    for i in range(GENERATED):
        query, variables = generator.query()
        planned += await paths.compare(query, variables, principals[i % len(principals)])
    assert planned >= GENERATED // 2, f"only {planned} of {GENERATED} queries were planned"
