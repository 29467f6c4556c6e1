"""Creating a task of a type the workers run: its settings and source version are checked at
once (every problem back together, nothing written), and a good one is `queued` with its job
enqueued in the same transaction."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from tests.ai_models.helpers import World, count, make_world
from tests.datasets.data_files import version_with_file
from tests.factories.datasets import make_dataset, make_dataset_version
from tests.graphql import error_codes, gql

CREATE = """mutation ($input: CreateDataProcessingTaskInput!) {
  createDataProcessingTask(input: $input) {
    dataProcessingTask { status sourceVersion { version } } userErrors { field message code }
  }
}"""
CREATE_ID = """mutation ($input: CreateDataProcessingTaskInput!) {
  createDataProcessingTask(input: $input) { dataProcessingTask { id } } }"""
STATUS = """mutation ($input: UpdateDataProcessingTaskStatusInput!) {
  updateDataProcessingTaskStatus(input: $input) { userErrors { field message code } } }"""
DELETE = """mutation ($id: ID!) {
  deleteDataProcessingTask(input: {id: $id}) { userErrors { field code } } }"""


@pytest.fixture
async def world(app, session) -> World:
    return await make_world(app, session)


async def jobs(db) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in await db.fetch(
        "SELECT queue_name, task_name FROM procrastinate_jobs ORDER BY id")]


async def test_a_worker_task_is_queued_with_its_job_on_the_latest_version(
        app, client, db, session, world) -> None:
    # given a dataset whose newest version has no file, and an older one with a file
    dataset = await make_dataset(session, organization=world.acme, name="raw")
    await version_with_file(session, app.state.storage, dataset=dataset, content=b"a\n1\n",
                            filename="a.csv", version="v1")
    await make_dataset_version(session, dataset=dataset, version="v2")
    await session.commit()

    body = await gql(client, CREATE, {"input": {
        "sourceDatasetId": to_base64("Dataset", dataset.id), "name": "p",
        "taskType": "profile"}}, headers=world.member)

    assert body["data"]["createDataProcessingTask"] == {"userErrors": [], "dataProcessingTask": {
        "status": "QUEUED", "sourceVersion": {"version": "v1"}}}
    assert await jobs(db) == [("data_processing", "dataprocessing.run")]


async def test_other_types_stay_pending_without_a_job(client, db, session, world) -> None:
    dataset = await make_dataset(session, organization=world.acme, name="raw")
    await session.commit()

    body = await gql(client, CREATE, {"input": {
        "sourceDatasetId": to_base64("Dataset", dataset.id), "name": "x",
        "taskType": "spark_etl"}}, headers=world.member)

    assert body["data"]["createDataProcessingTask"]["dataProcessingTask"] == {
        "status": "PENDING", "sourceVersion": None}
    assert await jobs(db) == []


@pytest.mark.parametrize(("task_type", "configuration", "messages"), [
    ("clean", {"dropDuplicates": "yes", "fillNulls": {"a": {"strategy": "mode"}, "b": None},
               "format": "xlsx", "colour": 1}, [
        "colour: not a setting of a clean task (settings: dropDuplicates, duplicateColumns, "
        "dropNulls, fillNulls, format)",
        "dropDuplicates: true or false",
        'fillNulls.a: a strategy is {"strategy": one of mean, median, min, max, zero, '
        'forward, backward}',
        "fillNulls.b: a number, text, true or false",
        "format: one of csv, jsonl, parquet"]),
    ("clean", {"dropDuplicates": False}, [
        "clean: nothing to do (set dropDuplicates, dropNulls or fillNulls)"]),
    ("split", {"ratios": {"train": 0.8, "test": 0.1}, "seed": -1, "stratifyBy": 3}, [
        "ratios: they add up to 0.9, not 1", "seed: a whole number from 0 to 4294967295",
        "stratifyBy: the name of a column"]),
    ("split", {"ratios": {"train": 0.5, "holdout": 0.5}}, [
        "ratios: an object with some of train, validation, test as keys"]),
    ("convert", {}, ["format: required, one of csv, jsonl, parquet"]),
    ("profile", {"sample": 10}, ["sample: not a setting of a profile task (settings: none)"]),
])
async def test_bad_settings_are_user_errors_and_nothing_is_written(
        app, client, db, session, world, task_type, configuration, messages) -> None:
    dataset = await make_dataset(session, organization=world.acme, name="raw")
    await version_with_file(session, app.state.storage, dataset=dataset, content=b"a\n1\n",
                            filename="a.csv")
    await session.commit()

    body = await gql(client, CREATE, {"input": {
        "sourceDatasetId": to_base64("Dataset", dataset.id), "name": "t", "taskType": task_type,
        "configuration": configuration}}, headers=world.member)

    payload = body["data"]["createDataProcessingTask"]
    assert payload["dataProcessingTask"] is None
    assert payload["userErrors"] == [{"field": ["input", "configuration"], "message": m,
                                      "code": "INVALID"} for m in messages]
    assert (await count(db, "data_processing_tasks"), await jobs(db)) == (0, [])


async def test_a_source_version_must_have_a_file_and_be_of_the_source_dataset(
        app, client, db, session, world) -> None:
    # given a dataset without versions, a version without a file, and another dataset's version
    empty = await make_dataset(session, organization=world.acme, name="empty")
    bare = await make_dataset_version(session, dataset=empty, version="v1")
    other = await make_dataset(session, organization=world.acme, name="other")
    elsewhere = await version_with_file(session, app.state.storage, dataset=other,
                                        content=b"a\n1\n", filename="a.csv")
    await session.commit()
    base = {"sourceDatasetId": to_base64("Dataset", empty.id), "name": "t",
            "taskType": "convert", "configuration": {"format": "parquet"}}

    none = await gql(client, CREATE, {"input": base}, headers=world.member)
    fileless = await gql(client, CREATE, {"input": {
        **base, "sourceVersionId": to_base64("DatasetVersion", bare.id)}}, headers=world.member)
    foreign = await gql(client, CREATE, {"input": {
        **base, "sourceVersionId": to_base64("DatasetVersion", elsewhere.id)}},
        headers=world.member)

    assert none["data"]["createDataProcessingTask"]["userErrors"] == [{
        "field": ["input", "sourceVersionId"], "code": "INVALID",
        "message": "The dataset has no version with a file to read: add one first"}]
    assert fileless["data"]["createDataProcessingTask"]["userErrors"] == [{
        "field": ["input", "sourceVersionId"], "code": "INVALID",
        "message": "This version has no file to read"}]
    assert error_codes(foreign) == ["NOT_FOUND"]
    assert (await count(db, "data_processing_tasks"), await jobs(db)) == (0, [])


async def test_a_worker_task_is_moved_by_its_worker_and_deleting_it_cancels_its_job(
        app, client, db, session, world) -> None:
    # given a queued profile task with its job
    dataset = await make_dataset(session, organization=world.acme, name="raw")
    await version_with_file(session, app.state.storage, dataset=dataset, content=b"a\n1\n",
                            filename="a.csv")
    await session.commit()
    created = await gql(client, CREATE_ID, {"input": {
        "sourceDatasetId": to_base64("Dataset", dataset.id), "name": "p",
        "taskType": "profile"}}, headers=world.member)
    task_id = created["data"]["createDataProcessingTask"]["dataProcessingTask"]["id"]

    # when a client reports it running, then deletes it
    report = await gql(client, STATUS, {"input": {"taskId": task_id, "status": "RUNNING"}},
                       headers=world.member)
    deleted = await gql(client, DELETE, {"id": task_id}, headers=world.member)

    # then the report is refused, and the job is cancelled with the task's row
    assert report["data"]["updateDataProcessingTaskStatus"]["userErrors"] == [{
        "field": ["input", "status"], "code": "INVALID_TRANSITION",
        "message": "A profile task is moved by its worker; cancel it with "
                   "cancelDataProcessingTask"}]
    assert deleted["data"]["deleteDataProcessingTask"]["userErrors"] == []
    assert [r[0] for r in await db.fetch("SELECT status::text FROM procrastinate_jobs")] == [
        "cancelled"]
