"""The planner's answers are strawberry's answers: same data, same errors, same key order.

Every query runs through two schemas over the same database: the reference (planner off) and
the planned one. The answers are compared as JSON bytes, so a key out of order fails too.
Data: small demo data (the benchmark's shape) plus one organization holding every node type
per world, read as a superuser, an owner, a viewer, another organization's owner, a demo
member and anonymously.
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import orjson

from db.scope import Principal
from db.session import asyncpg_dsn
from tests.isolation.world import World
from tests.planner.conftest import Paths
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

GENERATED = int(os.environ.get("PLANNER_DIFFERENTIAL_QUERIES", "3000"))
SEED = int(os.environ.get("PLANNER_DIFFERENTIAL_SEED", "7"))  # another seed, other queries


MEMBER_CURSORS = """
{ organizations(first: 3) { edges { node { members(first: 2ORDER) { edges { cursor } } } } } }
"""
MEMBER_PAGES = """
query($c: String) { organizations(first: 4) { edges { node { slug
  after: members(first: 2, after: $cORDER) { pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { role } } }
  before: members(last: 2, before: $cORDER) { pageInfo { hasNextPage hasPreviousPage }
    edges { node { role createdAt } } } } } } }
"""


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
        ('{ __schema { queryType { name } } __type(name: "User") { name } }', None),
        # root fields the planner does not cover run beside the planned ones
        ("{ files(first: 2) { edges { node { name downloadUrl } } } a: organizations(first: 1)"
         " { totalCount } viewer { username } }", None),
        ('{ organization(slug: "nope") { id } organizations(first: 1) { edges { node { slug } } }'
         ' x: organization(slug: "org-a") { name } }', None),
        ("query($v: Boolean!) { ...Root viewer @include(if: $v) { id } }"
         " fragment Root on Query { viewer { username } users(first: 2) { totalCount } }",
         {"v": True}),
        ('{ __typename organizations(first: 1) { edges { node { __typename } } } }', None),
        ("{ organizations(first: 2, filter: {slugIn: []}) { totalCount edges { cursor } } }",
         None),
    ]


async def test_corpus_gives_the_same_answers(paths: Paths, worlds, principals) -> None:
    # given a cursor into the users list
    first = orjson.loads(await paths.run(paths.reference, PAGES, {"first": 3},
                                         Principal.superuser()))
    cursor = first["data"]["users"]["pageInfo"]["endCursor"]
    planned = 0
    # when every corpus query runs as every caller, then both paths agree
    for principal in principals:
        for query, variables in corpus(worlds, cursor):
            planned += await paths.compare(query, variables, principal)
    # and nested pages after (or before) a cursor, in the default order and in another
    for order in ("", ", orderBy: {field: CREATED_AT, direction: DESC}"):
        cursors = orjson.loads(await paths.run(
            paths.reference, MEMBER_CURSORS.replace("ORDER", order), None, Principal.superuser()))
        for edge in cursors["data"]["organizations"]["edges"]:
            for member in edge["node"]["members"]["edges"]:
                variables = {"c": member["cursor"]}
                for principal in principals[:2]:
                    planned += await paths.compare(MEMBER_PAGES.replace("ORDER", order),
                                                   variables, principal)
    # as does the operation a document names
    two = "query A { users(first: 1) { totalCount } } query B { organizations { totalCount } }"
    for operation in ("A", "B"):
        planned += await paths.compare(two, None, Principal.superuser(), operation)
    # and most of them were answered by the planner (errors and `viewer` are not)
    assert planned >= 6 * 20 + 2
    assert paths.planned.planner.stats.snapshot()["partial"] >= 6 * 3


async def test_generated_queries_give_the_same_answers(paths: Paths, worlds,
                                                       principals) -> None:
    a, b = worlds
    ids = [*sorted(a.global_ids | b.global_ids), "bm9wZQ==", "not-an-id"]
    generator = Generator(paths.planned._schema, paths.planned, ids, seed=SEED)
    planned = 0
    for i in range(GENERATED):
        query, variables = generator.query()
        planned += await paths.compare(query, variables, principals[i % len(principals)])
    assert planned >= GENERATED // 2, f"only {planned} of {GENERATED} queries were planned"


SUBTREES = """
{ knowledgeCollections(first: 5) { edges { node { name chatModel { name }
    documents(first: 3) { totalCount edges { node { title status error
      file { filename downloadUrl user { username } } } } } } } }
  organizations(first: 2) { edges { node { slug } } } }
"""


async def test_fields_with_resolvers_of_their_own_run_inside_a_planned_query(
        paths: Paths, worlds, principals, database_url) -> None:
    snapshot = paths.planned.planner.stats.snapshot
    before = snapshot()
    for principal in principals:
        await paths.compare(SUBTREES, None, principal)
    # every caller's answer was planned, the custom fields executed by graphql-core
    assert snapshot()["planned"] - before["planned"] == len(principals), snapshot()
    assert snapshot()["subtrees"] - before["subtrees"] == len(principals)
    assert snapshot()["fallback"] == before["fallback"]

    # when such a field fails, strawberry answers, with the error where it belongs
    a, _ = worlds
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await con.execute("UPDATE knowledge_collections SET config = $1 WHERE id = $2",
                          '{"chatModelId": "not-a-uuid"}', a.objects["KnowledgeCollection"].id)
    finally:
        await con.close()
    answer = orjson.loads(await paths.run(paths.planned, SUBTREES, None, Principal.superuser()))
    await paths.compare(SUBTREES, None, Principal.superuser())
    assert answer["errors"][0]["path"][-1] == "chatModel"
    assert snapshot()["fallback_by_reason"]["error_answer"] == (
        before["fallback_by_reason"]["error_answer"] + 2)
    assert snapshot()["fallback"] == before["fallback"] + 2
