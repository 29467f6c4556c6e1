"""A nested query costs one SQL statement per level, whatever the page sizes (DESIGN.md §6)."""

from __future__ import annotations

import pytest

from db.session import Database
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_messages
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import gql_data


@pytest.fixture
def client(superuser_client):
    """These tests read as a platform superuser; scoping has tests of its own."""
    return superuser_client

NESTED = """
query Nested($orgs: Int!, $members: Int!, $sessions: Int!, $messages: Int!) {
  organizations(first: $orgs) { edges { node { name
    members(first: $members) { edges { node { role
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


@pytest.fixture
async def nested_data(session) -> None:
    """3 organizations x 3 members x 3 sessions x 12 messages: more than the smallest pages."""
    for _ in range(3):
        org = await make_organization(session)
        model = await make_model(session, organization=org)
        for _ in range(3):
            user = await make_user(session)
            await make_membership(session, organization=org, user=user)
            for _ in range(3):
                chat = await make_chat_session(session, user=user, model=model)
                await make_messages(session, chat=chat, count=12)
    await session.commit()


async def count_statements(client, db: Database, sizes: dict[str, int]) -> tuple[int, dict]:
    statements: list[str] = []
    db.listeners.append(statements.append)
    try:
        data = await gql_data(client, NESTED, sizes)
    finally:
        db.listeners.remove(statements.append)
    return len(statements), data


def messages_in(data: dict) -> int:
    return sum(len(s["node"]["messages"]["edges"])
               for o in data["organizations"]["edges"]
               for m in o["node"]["members"]["edges"]
               for s in m["node"]["user"]["chatSessions"]["edges"])


async def test_statement_count_does_not_grow_with_page_sizes(client, db, nested_data) -> None:
    await gql_data(client, "{ viewer { username } }")  # the caller's session is now cached
    small, small_data = await count_statements(
        client, db, {"orgs": 2, "members": 2, "sessions": 2, "messages": 2})
    large, large_data = await count_statements(
        client, db, {"orgs": 10, "members": 10, "sessions": 5, "messages": 10})

    assert messages_in(small_data) == 2 * 2 * 2 * 2
    assert messages_in(large_data) == 3 * 3 * 3 * 10
    assert small == large == LEVELS


async def test_each_statement_reads_only_the_columns_the_query_needs(client, db,
                                                                     nested_data) -> None:
    """Messages answer `role content`: neither their ids nor their sort column are read,
    until a cursor (made of the sort column) is asked for."""
    statements: list[str] = []
    db.listeners.append(statements.append)
    try:
        await count_statements(client, db, {"orgs": 2, "members": 2, "sessions": 2,
                                            "messages": 2})
        plain = [s for s in statements if "FROM chat_messages" in s]
        statements.clear()
        with_cursor = NESTED.replace("edges { node { role content } }",
                                     "edges { cursor node { role content } }")
        await gql_data(client, with_cursor, {"orgs": 2, "members": 2, "sessions": 2,
                                             "messages": 2})
        cursors = [s for s in statements if "FROM chat_messages" in s]
    finally:
        db.listeners.remove(statements.append)
    assert len(plain) == len(cursors) == 1
    assert "SELECT t.role, t.content FROM chat_messages" in plain[0]
    assert "SELECT t.role, t.content, t.sequence_number, t.id FROM chat_messages" in cursors[0]


async def test_pages_read_their_extra_row_only_when_asked_whether_they_go_on(
        client, db, nested_data, monkeypatch) -> None:
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
    plain = await gql_data(client, NESTED, sizes)
    asked = await gql_data(client, NESTED.replace(
        "messages(first: $messages) {", "messages(first: $messages) { pageInfo { hasNextPage }"),
        sizes)

    assert read == [2, 3]  # one session of 12 messages: its page of 2, then 2 and the next
    session = asked["organizations"]["edges"][0]["node"]["members"]["edges"][0]["node"][
        "user"]["chatSessions"]["edges"][0]["node"]
    assert session["messages"]["pageInfo"] == {"hasNextPage": True}
    assert messages_in(plain) == messages_in(asked) == 2
