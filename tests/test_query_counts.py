"""A nested query costs a constant number of SQL statements whatever the page sizes, on the
planned path (one per level, DESIGN.md §6) and on the strawberry/DataLoader path that still
serves errors, websockets and the queries the planner does not cover. The reader is a member of
the organizations it reads, so every statement carries the tenant-scope predicates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette

from app.main import create_app
from db.models import Organization
from db.session import Database
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_messages
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import gql_data

NESTED = """
query Nested($orgs: Int!, $members: Int!, $sessions: Int!, $messages: Int!) {
  organizations(first: $orgs) { edges { node { name
    members(first: $members, filter: {roleIn: [MEMBER]}) { edges { node { role
      user { username
        chatSessions(first: $sessions) { edges { node { title
          model { name }
          messages(first: $messages) { edges { node { role content } } }
        } } }
      }
    } } }
  } } }
}
"""
# organizations, memberships, users, chat sessions, models, messages
LEVELS = 6
SMALL = {"orgs": 2, "members": 2, "sessions": 2, "messages": 2}
LARGE = {"orgs": 10, "members": 10, "sessions": 5, "messages": 10}


@dataclass
class Nested:
    client: httpx.AsyncClient  # a viewer in the three organizations `names`
    names: list[str]


async def organization_with_chats(session, name: str) -> Organization:
    """3 members x 3 sessions x 12 messages: more than the smallest pages."""
    org = await make_organization(session, name=name)
    model = await make_model(session, organization=org)
    for _ in range(3):
        user = await make_user(session)
        await make_membership(session, organization=org, user=user)
        for _ in range(3):
            chat = await make_chat_session(session, user=user, model=model)
            await make_messages(session, chat=chat, count=12)
    return org


@pytest.fixture
async def nested_data(session, member_client) -> Nested:
    """Three organizations read by a viewer (whom the MEMBER filter leaves out of the lists),
    and a fourth of the same shape that the viewer does not belong to."""
    mine = [await organization_with_chats(session, name) for name in ("Org A", "Org B", "Org C")]
    await organization_with_chats(session, "Outside")
    await session.commit()
    reader = await member_client(*mine, role="viewer")
    await gql_data(reader, "{ viewer { username } }")  # the caller's session is now cached
    return Nested(reader, [o.name for o in mine])


async def read_nested(client, db: Database, sizes: dict[str, int]) -> tuple[list[str], dict]:
    """The SQL statements `db` ran for the nested query, and its answer."""
    statements: list[str] = []
    db.listeners.append(statements.append)
    try:
        data = await gql_data(client, NESTED, sizes)
    finally:
        db.listeners.remove(statements.append)
    return statements, data


def scoped(statement: str) -> bool:
    """Whether a statement keeps to the caller's organizations (db/scope.py's predicates)."""
    return ("organization_id = ANY(" in statement
            or "FROM organizations t WHERE t.id = ANY(" in statement)


def messages_in(data: dict) -> int:
    return sum(len(s["node"]["messages"]["edges"])
               for o in data["organizations"]["edges"]
               for m in o["node"]["members"]["edges"]
               for s in m["node"]["user"]["chatSessions"]["edges"])


def organizations_in(data: dict) -> list[str]:
    return sorted(o["node"]["name"] for o in data["organizations"]["edges"])


async def test_statement_count_does_not_grow_with_page_sizes(db, nested_data) -> None:
    small, small_data = await read_nested(nested_data.client, db, SMALL)
    large, large_data = await read_nested(nested_data.client, db, LARGE)

    assert messages_in(small_data) == 2 * 2 * 2 * 2
    assert messages_in(large_data) == 3 * 3 * 3 * 10
    assert organizations_in(large_data) == nested_data.names  # not "Outside"
    assert len(small) == len(large) == LEVELS
    assert all(scoped(s) for s in small + large), small


@pytest.fixture
async def unplanned_app(settings) -> AsyncIterator[Starlette]:
    """The app with the planner off (AIPLATFORM_PLANNER=false): strawberry and DataLoaders."""
    application = create_app(settings.model_copy(update={"planner": False}))
    async with application.router.lifespan_context(application):
        yield application


async def test_statement_count_does_not_grow_with_page_sizes_without_the_planner(
        db, nested_data, unplanned_app) -> None:
    """One batched statement per level here too (the sessions' `model` is one batch), whatever
    the number of parents: no statement per organization, member or session."""
    unplanned_db: Database = unplanned_app.state.db
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=unplanned_app),
                                 base_url="http://test",
                                 headers=nested_data.client.headers) as reader:
        await gql_data(reader, "{ viewer { username } }")
        small, small_data = await read_nested(reader, unplanned_db, SMALL)
        large, large_data = await read_nested(reader, unplanned_db, LARGE)
    planned, planned_data = await read_nested(nested_data.client, db, LARGE)

    assert messages_in(small_data) == 2 * 2 * 2 * 2
    assert messages_in(large_data) == 3 * 3 * 3 * 10
    assert organizations_in(large_data) == nested_data.names  # not "Outside"
    assert large_data == planned_data
    assert len(small) == len(large) == LEVELS
    assert all(scoped(s) for s in small + large), small
    assert sorted(large) != sorted(planned)  # DataLoaders read whole rows, the planner columns


async def test_each_statement_reads_only_the_columns_the_query_needs(db, nested_data) -> None:
    """Messages answer `role content`: neither their ids nor their sort column are read,
    until a cursor (made of the sort column) is asked for."""
    statements: list[str] = []
    db.listeners.append(statements.append)
    try:
        await read_nested(nested_data.client, db, {"orgs": 2, "members": 2, "sessions": 2,
                                            "messages": 2})
        plain = [s for s in statements if "FROM chat_messages" in s]
        statements.clear()
        with_cursor = NESTED.replace("edges { node { role content } }",
                                     "edges { cursor node { role content } }")
        await gql_data(nested_data.client, with_cursor, {"orgs": 2, "members": 2, "sessions": 2,
                                             "messages": 2})
        cursors = [s for s in statements if "FROM chat_messages" in s]
    finally:
        db.listeners.remove(statements.append)
    assert len(plain) == len(cursors) == 1
    assert "SELECT t.role, t.content FROM chat_messages" in plain[0]
    assert "SELECT t.role, t.content, t.sequence_number, t.id FROM chat_messages" in cursors[0]


async def test_pages_read_their_extra_row_only_when_asked_whether_they_go_on(
        db, nested_data, monkeypatch) -> None:
    """The row after a page tells hasNextPage; without pageInfo it is not read."""
    read: list[int] = []
    fetch = db.fetch

    async def counting_fetch(sql: str, *args):
        rows = await fetch(sql, *args)
        if "FROM chat_messages" in sql:
            read.append(len(rows))
        return rows

    monkeypatch.setattr(db, "fetch", counting_fetch)
    sizes = {"orgs": 1, "members": 1, "sessions": 1, "messages": 2}
    plain = await gql_data(nested_data.client, NESTED, sizes)
    asked = await gql_data(nested_data.client, NESTED.replace(
        "messages(first: $messages) {", "messages(first: $messages) { pageInfo { hasNextPage }"),
        sizes)

    assert read == [2, 3]  # one session of 12 messages: its page of 2, then 2 and the next
    session = asked["organizations"]["edges"][0]["node"]["members"]["edges"][0]["node"][
        "user"]["chatSessions"]["edges"][0]["node"]
    assert session["messages"]["pageInfo"] == {"hasNextPage": True}
    assert messages_in(plain) == messages_in(asked) == 2
