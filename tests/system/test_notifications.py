"""Notifications: the viewer's own list (`viewer { notifications }`) and markNotificationsRead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from strawberry.relay import to_base64

from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.system import make_notification
from tests.graphql import error_codes, gql

MARK = """mutation ($input: MarkNotificationsReadInput!) {
  markNotificationsRead(input: $input) {
    notifications { title readAt } userErrors { field message code } } }"""
INBOX = """{ viewer { notifications(first: 10) {
  totalCount edges { node { title kind readAt user { username } } } } } }"""
USER_INBOX = """query ($id: ID!) { node(id: $id) { ... on User {
  notifications { totalCount } } } }"""
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def people(app, session) -> dict:
    """ada and bob share an organization; each has notifications, ada two unread and one read."""
    org = await make_organization(session)
    ada, bob = await make_user(session, username="ada"), await make_user(session, username="bob")
    for user in (ada, bob):
        await make_membership(session, organization=org, user=user)
    rows = {
        "first": await make_notification(session, user=ada, organization=org, title="first",
                                         kind="run_finished", created_at=T0),
        "second": await make_notification(session, user=ada, title="second",
                                          kind="document_ready",
                                          created_at=T0 + timedelta(hours=1)),
        "read": await make_notification(session, user=ada, title="read",
                                        created_at=T0 - timedelta(hours=1),
                                        read_at=T0 + timedelta(minutes=5)),
        "bobs": await make_notification(session, user=bob, title="bob's"),
    }
    return {
        "ada": ada, "bob": bob,
        "ids": {k: to_base64("Notification", r.id) for k, r in rows.items()},
        "headers": {"ada": await bearer_headers(app, session, ada),
                    "bob": await bearer_headers(app, session, bob)},
    }


async def read_at(db) -> dict[str, datetime | None]:
    return {r["title"]: r["read_at"] for r in await db.fetch(
        "SELECT title, read_at FROM notifications")}


async def test_the_viewer_lists_their_own_notifications_newest_first(client, people) -> None:
    body = await gql(client, INBOX, headers=people["headers"]["ada"])

    inbox = body["data"]["viewer"]["notifications"]
    assert inbox["totalCount"] == 3
    assert [(e["node"]["title"], e["node"]["kind"]) for e in inbox["edges"]] == [
        ("second", "document_ready"), ("first", "run_finished"), ("read", "info")]
    assert {e["node"]["user"]["username"] for e in inbox["edges"]} == {"ada"}


async def test_another_users_notifications_are_not_visible_even_in_a_shared_org(
    client, people
) -> None:
    body = await gql(client, USER_INBOX, {"id": to_base64("User", people["ada"].id)},
                     headers=people["headers"]["bob"])

    assert body["data"]["node"] == {"notifications": {"totalCount": 0}}


async def test_mark_read_sets_read_at_once_and_writes_an_audit_row(client, db, people) -> None:
    ids = people["ids"]
    before = await read_at(db)

    body = await gql(client, MARK, {"input": {"ids": [ids["second"], ids["read"],
                                                      ids["second"]]}},
                     headers=people["headers"]["ada"])

    payload = body["data"]["markNotificationsRead"]
    assert payload["userErrors"] == []
    assert [n["title"] for n in payload["notifications"]] == ["second", "read"]
    after = await read_at(db)
    assert after["second"] is not None and before["second"] is None
    assert after["read"] == before["read"]  # already read: keeps its first readAt
    assert after["first"] is None and after["bob's"] is None
    audit = await db.fetch("SELECT action, user_id, new_values FROM audit_logs")
    assert [tuple(r) for r in audit] == [(
        "notification.mark_read", people["ada"].id,
        {"notification_ids": [str((await db.fetch(
            "SELECT id FROM notifications WHERE title = 'second'"))[0][0])]})]


async def test_someone_elses_notification_is_not_found_and_nothing_changes(
    client, db, people
) -> None:
    before = await read_at(db)

    body = await gql(client, MARK, {"input": {"ids": [people["ids"]["first"],
                                                      people["ids"]["bobs"]]}},
                     headers=people["headers"]["ada"])

    assert body["data"] is None
    assert error_codes(body) == ["NOT_FOUND"]
    assert await read_at(db) == before
    assert (await db.fetch("SELECT count(*) FROM audit_logs"))[0][0] == 0


async def test_more_than_100_ids_is_a_user_error(client, db, people) -> None:
    ids = [to_base64("Notification", f"00000000-0000-0000-0000-{i:012d}") for i in range(101)]

    body = await gql(client, MARK, {"input": {"ids": ids}}, headers=people["headers"]["ada"])

    assert body["data"]["markNotificationsRead"] == {"notifications": [], "userErrors": [{
        "field": ["input", "ids"], "message": "At most 100 ids at once", "code": "TOO_MANY"}]}


async def test_anonymous_callers_must_log_in(client, db, people) -> None:
    before = await read_at(db)

    body = await gql(client, MARK, {"input": {"ids": [people["ids"]["first"]]}})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await read_at(db) == before


async def test_an_id_of_another_type_is_not_found(client, people) -> None:
    body = await gql(client, MARK, {"input": {"ids": [to_base64("User", people["ada"].id)]}},
                     headers=people["headers"]["ada"])

    assert error_codes(body) == ["NOT_FOUND"]
