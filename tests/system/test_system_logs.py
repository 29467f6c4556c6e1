"""System logs: the app's WARNING-or-worse records reach `system_logs` in the background, with
the request they came from and secrets masked; only superusers read them (`systemLogs`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from db.session import Database
from services.system_log import SystemLogWriter, bind_request, redact_text
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.system import make_system_log
from tests.graphql import error_codes, gql

LOGS = """query ($filter: SystemLogFilter, $first: Int, $after: String) {
  systemLogs(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id level module message loggerName functionName lineNumber requestId
                   metadata user { username } } } } }"""
SET = """mutation { setSystemSetting(input: {category: "ui", key: "banner", value: "x"}) {
  userErrors { code } } }"""
NODE = "query ($id: ID!) { node(id: $id) { ... on SystemLog { message } } }"


@pytest.fixture
async def people(app, session) -> dict[str, Any]:
    org = await make_organization(session)
    owner = await make_user(session, username="owner")
    await make_membership(session, organization=org, user=owner, role="owner")
    root = await make_user(session, username="root")
    root.is_superuser = True
    await session.flush()
    return {"owner_user": owner, "root": await bearer_headers(app, session, root),
            "owner": await bearer_headers(app, session, owner), "anonymous": {}}


async def written(app, db, **where: str) -> list[dict[str, Any]]:
    """The system_logs rows once everything logged so far is written."""
    await asyncio.wait_for(app.state.system_log.flush(), timeout=10)
    clauses = " AND ".join(f"{k} = ${i}" for i, k in enumerate(where, 1)) or "TRUE"
    rows = await db.fetch(f"SELECT * FROM system_logs WHERE {clauses} ORDER BY created_at",
                          *where.values())
    return [dict(r) for r in rows]


async def test_warnings_are_kept_with_their_request_secrets_masked(
    app, db, people
) -> None:
    user = people["owner_user"]
    logger = logging.getLogger("aiplatform.tests")
    with bind_request("req-42", user.id):
        logger.info("routine, not kept")
        logger.warning("login for %s failed with password=%s", "ada", "hunter2")
        try:
            raise ValueError("postgresql://bob:s3cret@db/x unreachable")
        except ValueError:
            logger.exception("could not connect")
    logging.getLogger("somebody.else").error("not one of the app's loggers")

    rows = await written(app, db, request_id="req-42")
    assert [(r["level"], r["message"]) for r in rows] == [
        ("WARNING", "login for ada failed with password=***"),
        ("ERROR", "could not connect")]
    warning, error = rows
    assert warning["module"] == __name__
    assert warning["logger_name"] == "aiplatform.tests"
    assert warning["function_name"] == "test_warnings_are_kept_with_their_request_secrets_masked"
    assert warning["line_number"] > 0 and warning["user_id"] == user.id
    assert "ValueError: postgresql://bob:***@db/x unreachable" in error["metadata"]["exception"]
    assert "s3cret" not in str(rows) and "hunter2" not in str(rows)
    assert await written(app, db, message="routine, not kept") == []
    assert await written(app, db, logger_name="somebody.else") == []


async def test_records_from_other_threads_are_kept_too(app, db) -> None:
    thread = threading.Thread(target=logging.getLogger("app.embedded").warning,
                              args=("from a worker thread",))
    thread.start()
    await asyncio.to_thread(thread.join)
    rows = await written(app, db, message="from a worker thread")
    assert [(r["logger_name"], r["request_id"]) for r in rows] == [("app.embedded", None)]


async def test_a_failing_write_is_logged_once_and_never_recursed(
    app, db, database_url, caplog
) -> None:
    """A writer whose database is unusable: its complaint goes to the other handlers once and
    is queued by no system log writer (it would fail again, and again)."""
    broken = SystemLogWriter(Database(database_url))  # never connected: every write fails
    broken.start()
    try:
        logging.getLogger("aiplatform.tests").error("the broken writer gets this one")
        await asyncio.wait_for(broken.flush(), timeout=10)
        assert broken.queue.empty() and broken.written == 0
    finally:
        await broken.close()
    complaints = [r.getMessage() for r in caplog.records if r.name == "aiplatform.system_log"]
    assert complaints == ["could not write 1 system log records"]
    # the app's writer kept working and stored the record, not the complaint
    assert len(await written(app, db, message="the broken writer gets this one")) == 1
    assert await written(app, db, logger_name="aiplatform.system_log") == []


async def test_a_refused_request_is_logged_with_its_request_id_and_caller(
    app, client, db, people
) -> None:
    response = await client.post("/graphql", json={"query": SET},
                                 headers={**people["owner"], "x-request-id": "req-e2e"})
    assert error_codes(response.json()) == ["FORBIDDEN"]
    await app.state.system_log.flush()

    body = await gql(client, LOGS, {"filter": {"requestId": "req-e2e"}}, headers=people["root"])
    assert "errors" not in body, body
    (edge,) = body["data"]["systemLogs"]["edges"]
    node = edge["node"]
    assert node["level"] == "WARNING"
    assert node["module"] == "resolvers.system.settings"
    assert node["loggerName"] == "aiplatform.system"
    assert node["functionName"] == "require_superuser"
    assert node["message"].startswith("setSystemSetting refused: user ")
    assert node["user"] == {"username": "owner"}


async def test_only_superusers_read_system_logs(client, session, people) -> None:
    entry = await make_system_log(session, message="disk almost full", module="services.storage")
    await make_system_log(session, message="noise", level="WARNING", module="app.other")
    await session.commit()
    body = await gql(client, LOGS, {"filter": {"level": "ERROR", "module": "services.storage"}},
                     headers=people["root"])
    assert [e["node"]["message"] for e in body["data"]["systemLogs"]["edges"]] == [
        "disk almost full"]
    gid = body["data"]["systemLogs"]["edges"][0]["node"]["id"]
    for caller in ("owner", "anonymous"):
        body = await gql(client, LOGS, headers=people[caller])
        assert body["data"]["systemLogs"]["totalCount"] == 0, caller
        assert body["data"]["systemLogs"]["edges"] == []
        body = await gql(client, NODE, {"id": gid}, headers=people[caller])
        assert error_codes(body) == ["NOT_FOUND"], caller
    body = await gql(client, NODE, {"id": gid}, headers=people["root"])
    assert body["data"]["node"] == {"message": entry.message}


async def test_system_logs_page_newest_first(client, session, people) -> None:
    for i in range(5):
        await make_system_log(session, message=f"m{i}", module="app.paging")
        await session.commit()  # one transaction each: distinct created_at
    seen, after = [], None
    while True:
        body = await gql(client, LOGS, {"first": 2, "after": after,
                                        "filter": {"module": "app.paging"}},
                         headers=people["root"])
        page = body["data"]["systemLogs"]
        seen += [e["node"]["message"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


def test_redaction_masks_the_usual_credentials() -> None:
    cases = {
        "Authorization: Bearer eyJhbGciOi.eyJzdWIiOiJ4.c2ln": "Authorization: ***",
        "key aip_ab12cd34_s3cr3tS3cr3t used": "key *** used",
        '{"api_key": "sk-abcdefghijk", "max_tokens": 5}': '{"api_key": ***, "max_tokens": 5}',
        "GET /x?access_token=abc123&page=2": "GET /x?access_token=***&page=2",
        "redis://:pw@host:6379": "redis://:***@host:6379",
        "3 tokens left": "3 tokens left",
    }
    assert {text: redact_text(text) for text in cases} == cases
