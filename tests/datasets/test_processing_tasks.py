"""Data processing task mutations: create, the status state machine, delete."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from strawberry.relay import to_base64

from tests.ai_models.helpers import World, audit_actions, count, make_world
from tests.factories.datasets import make_dataset, make_processing_task
from tests.graphql import error_codes, gql

TASK_FIELDS = """name taskType configuration status progress statusMessage
                 sourceDataset { name } targetDataset { name }"""
CREATE = f"""
mutation ($input: CreateDataProcessingTaskInput!) {{
  createDataProcessingTask(input: $input) {{
    dataProcessingTask {{ {TASK_FIELDS} }} userErrors {{ field code }}
  }}
}}"""
STATUS = """
mutation ($input: UpdateDataProcessingTaskStatusInput!) {
  updateDataProcessingTaskStatus(input: $input) {
    dataProcessingTask { status progress statusMessage startedAt completedAt }
    userErrors { field code }
  }
}"""
DELETE = """
mutation ($id: ID!) {
  deleteDataProcessingTask(input: {id: $id}) {
    deletedDataProcessingTaskId userErrors { field code }
  }
}"""


@pytest.fixture
async def world(app, session) -> World:
    return await make_world(app, session)


def gid(type_name: str, row) -> str:
    return to_base64(type_name, row.id)


async def statuses(db) -> list[tuple[str, float]]:
    return [(r[0], r[1]) for r in await db.fetch(
        "SELECT status, progress FROM data_processing_tasks ORDER BY name")]


# -- create --------------------------------------------------------------------------------


async def test_a_member_creates_a_pending_task_with_secrets_redacted(
    client, db, session, world
) -> None:
    # given two datasets of acme
    raw = await make_dataset(session, organization=world.acme, name="raw")
    clean = await make_dataset(session, organization=world.acme, name="clean")
    await session.commit()

    # when the member creates a task with a password in its configuration
    body = await gql(client, CREATE, {"input": {
        "sourceDatasetId": gid("Dataset", raw), "targetDatasetId": gid("Dataset", clean),
        "name": " dedupe ", "taskType": "dedupe",
        "configuration": {"keys": ["id"], "password": "hunter2"}}}, headers=world.member)

    # then it is pending, reads back redacted, and one audit row (redacted too) is written
    assert body["data"]["createDataProcessingTask"] == {"userErrors": [], "dataProcessingTask": {
        "name": "dedupe", "taskType": "dedupe",
        "configuration": {"keys": ["id"], "password": "***"}, "status": "PENDING",
        "progress": 0.0, "statusMessage": None, "sourceDataset": {"name": "raw"},
        "targetDataset": {"name": "clean"}}}
    stored = (await db.fetch("SELECT configuration::text FROM data_processing_tasks"))[0][0]
    assert orjson.loads(stored) == {"keys": ["id"], "password": "hunter2"}
    assert await audit_actions(db) == ["data_processing_task.create"]
    trail = orjson.loads((await db.fetch("SELECT new_values::text FROM audit_logs"))[0][0])
    assert trail["configuration"] == {"keys": ["id"], "password": "***"}
    assert trail["source_dataset_id"] == str(raw.id)


async def test_every_problem_of_a_new_task_comes_back_and_nothing_is_written(
    client, db, session, world
) -> None:
    raw = await make_dataset(session, organization=world.acme, name="raw")
    await session.commit()

    body = await gql(client, CREATE, {"input": {
        "sourceDatasetId": gid("Dataset", raw), "name": " ", "taskType": "Clean Up",
        "configuration": [1, 2]}}, headers=world.member)

    assert body["data"]["createDataProcessingTask"] == {"dataProcessingTask": None,
                                                        "userErrors": [
        {"field": ["input", "name"], "code": "REQUIRED"},
        {"field": ["input", "taskType"], "code": "INVALID"},
        {"field": ["input", "configuration"], "code": "INVALID"},
    ]}
    assert await count(db, "data_processing_tasks") == 0
    assert await count(db, "audit_logs") == 0


async def test_datasets_must_be_live_and_of_the_same_organization(
    client, db, session, world
) -> None:
    # given a deleted dataset of acme and a dataset of another organization
    raw = await make_dataset(session, organization=world.acme, name="raw")
    gone = await make_dataset(session, organization=world.acme, name="gone",
                              deleted_at=datetime.now(UTC))
    foreign = await make_dataset(session, organization=world.other, name="foreign")
    await session.commit()
    base = {"name": "t", "taskType": "clean"}

    # when the member points a task at them
    results = [
        await gql(client, CREATE, {"input": {**base, "sourceDatasetId": gid("Dataset", gone)}},
                  headers=world.member),
        await gql(client, CREATE, {"input": {**base, "sourceDatasetId": gid("Dataset", foreign)}},
                  headers=world.member),
        await gql(client, CREATE, {"input": {**base, "sourceDatasetId": gid("Dataset", raw),
                                             "targetDatasetId": gid("Dataset", foreign)}},
                  headers=world.member),
        await gql(client, CREATE, {"input": {**base, "sourceDatasetId": gid("Dataset", raw),
                                             "targetDatasetId": gid("Dataset", gone)}},
                  headers=world.member),
        await gql(client, CREATE, {"input": {**base, "sourceDatasetId": gid("DataSource", raw)}},
                  headers=world.member),
    ]

    # then each is NOT_FOUND and nothing is written
    assert [error_codes(r) for r in results] == [["NOT_FOUND"]] * 5
    assert await count(db, "data_processing_tasks") == 0
    assert await count(db, "audit_logs") == 0


# -- status --------------------------------------------------------------------------------


async def test_a_task_runs_through_its_statuses(client, db, session, world) -> None:
    raw = await make_dataset(session, organization=world.acme, name="raw")
    task = await make_processing_task(session, source_dataset=raw, name="t")
    await session.commit()

    async def report(**fields) -> dict:
        body = await gql(client, STATUS, {"input": {"taskId": gid("DataProcessingTask", task),
                                                    **fields}}, headers=world.member)
        return body["data"]["updateDataProcessingTaskStatus"]

    queued = await report(status="QUEUED")
    running = await report(status="RUNNING", progress=10)
    halfway = await report(status="RUNNING", progress=50.5)
    done = await report(status="COMPLETED")

    assert [r["userErrors"] for r in (queued, running, halfway, done)] == [[]] * 4
    assert [(r["dataProcessingTask"]["status"], r["dataProcessingTask"]["progress"])
            for r in (queued, running, halfway, done)] == [
        ("QUEUED", 0.0), ("RUNNING", 10.0), ("RUNNING", 50.5), ("COMPLETED", 100.0)]
    assert queued["dataProcessingTask"]["startedAt"] is None
    assert running["dataProcessingTask"]["startedAt"] is not None
    assert done["dataProcessingTask"]["startedAt"] == running["dataProcessingTask"]["startedAt"]
    assert done["dataProcessingTask"]["completedAt"] is not None
    assert await audit_actions(db) == ["data_processing_task.status"] * 4


async def test_failure_keeps_its_message_and_cancel_is_only_for_waiting_tasks(
    client, db, session, world
) -> None:
    raw = await make_dataset(session, organization=world.acme, name="raw")
    running = await make_processing_task(session, source_dataset=raw, name="a",
                                         status="running")
    queued = await make_processing_task(session, source_dataset=raw, name="b", status="queued")
    await session.commit()

    cancel_running = await gql(client, STATUS, {"input": {
        "taskId": gid("DataProcessingTask", running), "status": "CANCELLED"}},
        headers=world.member)
    fail = await gql(client, STATUS, {"input": {
        "taskId": gid("DataProcessingTask", running), "status": "FAILED",
        "errorMessage": "disk full"}}, headers=world.member)
    cancel_queued = await gql(client, STATUS, {"input": {
        "taskId": gid("DataProcessingTask", queued), "status": "CANCELLED"}},
        headers=world.member)

    assert cancel_running["data"]["updateDataProcessingTaskStatus"]["userErrors"] == [
        {"field": ["input", "status"], "code": "INVALID_TRANSITION"}]
    assert fail["data"]["updateDataProcessingTaskStatus"]["dataProcessingTask"][
        "statusMessage"] == "disk full"
    assert cancel_queued["data"]["updateDataProcessingTaskStatus"]["dataProcessingTask"][
        "status"] == "CANCELLED"
    assert await statuses(db) == [("failed", 0.0), ("cancelled", 0.0)]
    assert await audit_actions(db) == ["data_processing_task.status"] * 2


async def test_bad_reports_come_back_together_and_nothing_changes(
    client, db, session, world
) -> None:
    raw = await make_dataset(session, organization=world.acme, name="raw")
    done = await make_processing_task(session, source_dataset=raw, name="a",
                                      status="completed")
    await session.commit()

    body = await gql(client, STATUS, {"input": {
        "taskId": gid("DataProcessingTask", done), "status": "RUNNING", "progress": 101,
        "errorMessage": "x" * 10_001}}, headers=world.member)

    assert body["data"]["updateDataProcessingTaskStatus"] == {"dataProcessingTask": None,
                                                              "userErrors": [
        {"field": ["input", "status"], "code": "INVALID_TRANSITION"},
        {"field": ["input", "progress"], "code": "OUT_OF_RANGE"},
        {"field": ["input", "errorMessage"], "code": "TOO_LONG"},
    ]}
    assert await statuses(db) == [("completed", 0.0)]
    assert await count(db, "audit_logs") == 0


# -- delete --------------------------------------------------------------------------------


async def test_a_running_task_is_not_deleted_a_finished_one_is(
    client, db, session, world
) -> None:
    raw = await make_dataset(session, organization=world.acme, name="raw")
    running = await make_processing_task(session, source_dataset=raw, name="a",
                                         status="running")
    failed = await make_processing_task(session, source_dataset=raw, name="b", status="failed")
    await session.commit()

    refused = await gql(client, DELETE, {"id": gid("DataProcessingTask", running)},
                        headers=world.member)
    deleted = await gql(client, DELETE, {"id": gid("DataProcessingTask", failed)},
                        headers=world.member)

    assert refused["data"]["deleteDataProcessingTask"] == {
        "deletedDataProcessingTaskId": None,
        "userErrors": [{"field": ["input", "id"], "code": "ACTIVE"}]}
    assert deleted["data"]["deleteDataProcessingTask"] == {
        "deletedDataProcessingTaskId": gid("DataProcessingTask", failed), "userErrors": []}
    assert await statuses(db) == [("running", 0.0)]
    assert await audit_actions(db) == ["data_processing_task.delete"]


# -- access --------------------------------------------------------------------------------


async def test_task_writes_are_refused_to_viewers_and_outsiders(
    client, db, session, world
) -> None:
    raw = await make_dataset(session, organization=world.acme, name="raw")
    task = await make_processing_task(session, source_dataset=raw, name="t")
    await session.commit()
    create = {"input": {"sourceDatasetId": gid("Dataset", raw), "name": "x",
                        "taskType": "clean"}}
    status = {"input": {"taskId": gid("DataProcessingTask", task), "status": "QUEUED"}}
    delete = {"id": gid("DataProcessingTask", task)}

    results = [
        await gql(client, CREATE, create, headers=world.viewer),
        await gql(client, CREATE, create, headers=world.outsider),
        await gql(client, STATUS, status, headers=world.viewer),
        await gql(client, STATUS, status, headers=world.outsider),
        await gql(client, DELETE, delete, headers=world.viewer),
        await gql(client, DELETE, delete, headers=world.outsider),
    ]

    assert [error_codes(r) for r in results] == [["FORBIDDEN"], ["NOT_FOUND"]] * 3
    assert await statuses(db) == [("pending", 0.0)]
    assert await count(db, "audit_logs") == 0
