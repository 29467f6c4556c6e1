"""Processing tasks run by `run_data_processing` in this process, created through GraphQL:
what each type writes (versions, files, lineage, execution logs, a profile), bad files ending
FAILED with a readable message, and a cancelled task stopping without results."""

from __future__ import annotations

import asyncio
import statistics
import threading

import polars as pl
import pytest
from strawberry.relay import from_base64, to_base64

from services.dataprocessing import job as processing_job
from services.dataprocessing.job import run_data_processing
from tests.ai_models.helpers import World, make_world
from tests.datasets.data_files import csv_bytes, version_with_file
from tests.factories.datasets import make_dataset
from tests.graphql import gql

CREATE = """mutation ($input: CreateDataProcessingTaskInput!) {
  createDataProcessingTask(input: $input) { dataProcessingTask { id status }
                                            userErrors { field message code } } }"""
CANCEL = """mutation ($id: ID!) { cancelDataProcessingTask(input: {id: $id}) {
  dataProcessingTask { status } userErrors { code } } }"""
TASK = """query ($id: ID!) { node(id: $id) { ... on DataProcessingTask {
  status progress statusMessage executionLogs
  sourceVersion { version rowCount profile }
  outputVersions(first: 10, orderBy: {field: VERSION}) { totalCount edges { node {
    id version rowCount metadata changesDescription
    parentVersion { version } processingTask { id } dataset { name }
    file { filename mimeType sizeBytes status } } } } } } }"""
PEOPLE = pl.DataFrame({
    "id": [1, 2, 2, 3, 4, 5, 5, 6],
    "city": ["bj", "sh", "sh", None, "sz", "bj", "bj", "hz"],
    "score": [10.0, None, None, 30.0, 40.0, None, None, 60.0],
})


@pytest.fixture
async def world(app, session) -> World:
    return await make_world(app, session)


async def create(client, world: World, **input) -> str:
    body = await gql(client, CREATE, {"input": {"name": "t", **input}}, headers=world.member)
    payload = body["data"]["createDataProcessingTask"]
    assert payload["userErrors"] == [], payload
    assert payload["dataProcessingTask"]["status"] == "QUEUED"
    return payload["dataProcessingTask"]["id"]


async def run(app, task_id: str) -> None:
    await run_data_processing(_uuid(task_id), app.state.db, app.state.storage,
                              app.state.pubsub)


async def read_task(client, world: World, task_id: str) -> dict:
    body = await gql(client, TASK, {"id": task_id}, headers=world.member)
    assert body.get("errors") is None, body
    return body["data"]["node"]


def _uuid(global_id: str):
    import uuid

    return uuid.UUID(from_base64(global_id)[1])


async def stored_frame(app, db, version: dict, fmt: str) -> pl.DataFrame:
    """The content of an output version's file, read back from storage (the API never shows
    a file's storage path: the test reads it from the rows)."""
    [row] = await db.fetch("SELECT f.storage_path FROM dataset_versions v JOIN files f "
                           "ON f.id = v.file_id WHERE v.id = $1", _uuid(version["id"]))
    path = app.state.storage.file_path(row[0])
    return {"csv": pl.read_csv, "parquet": pl.read_parquet, "jsonl": pl.read_ndjson}[fmt](path)


async def source(session, app, world: World, content: bytes, filename: str):
    dataset = await make_dataset(session, organization=world.acme, name="people")
    version = await version_with_file(session, app.state.storage, dataset=dataset,
                                      content=content, filename=filename)
    await session.commit()
    return dataset, version


async def test_clean_fills_drops_and_dedupes_into_a_new_version(app, client, db, session,
                                                                 world) -> None:
    # given a CSV with a missing city, missing scores and repeated rows
    dataset, _ = await source(session, app, world, csv_bytes(PEOPLE), "people.csv")

    # when a clean task runs: scores filled with 0, rows without a city dropped, then dupes
    task_id = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                           taskType="clean", configuration={
                               "fillNulls": {"score": 0}, "dropNulls": ["city"],
                               "format": "parquet"})
    await run(app, task_id)
    task = await read_task(client, world, task_id)

    # then one new parquet version of 5 rows, with lineage, and a log of each step's count
    assert (task["status"], task["progress"], task["statusMessage"]) == (
        "COMPLETED", 100.0, "wrote 1 version")
    [output] = [e["node"] for e in task["outputVersions"]["edges"]]
    assert output["rowCount"] == 5
    assert output["version"] == f"v1-clean-{_uuid(task_id).hex[:8]}"
    assert output["parentVersion"] == {"version": "v1"}
    assert output["processingTask"] == {"id": task_id}
    assert output["dataset"] == {"name": "people"}
    assert output["metadata"] == {"format": "parquet", "taskType": "clean"}
    assert output["file"]["filename"] == output["version"] + ".parquet"
    assert output["file"]["status"] == "READY"
    assert task["executionLogs"].splitlines()[1:] == [
        "read 8 rows, 3 columns",
        "filled 4 nulls in 'score' with 0",
        "dropped 1 rows with a null in 'city'",
        "dropped 2 duplicate rows",
        "5 rows remain",
        "wrote 5 rows as parquet",
        f"wrote version {output['version']!r}: 5 rows (parquet, "
        f"{output['file']['sizeBytes']} bytes)",
    ]
    cleaned = await stored_frame(app, db, output, "parquet")
    assert cleaned.rows() == [(1, "bj", 10.0), (2, "sh", 0.0), (4, "sz", 40.0),
                              (5, "bj", 0.0), (6, "hz", 60.0)]


async def test_split_is_stratified_seeded_and_complete(app, client, db, session, world) -> None:
    # given 1,000 rows, 70 % labelled a and 30 % b
    rows = pl.DataFrame({"id": range(1000), "label": ["a"] * 700 + ["b"] * 300})
    dataset, _ = await source(session, app, world, csv_bytes(rows), "labelled.csv")
    target = await make_dataset(session, organization=world.acme, name="splits")
    await session.commit()
    config = {"ratios": {"train": 0.8, "validation": 0.1, "test": 0.1}, "seed": 7,
              "stratifyBy": "label"}

    # when two split tasks with the same seed run into another dataset
    first = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                         targetDatasetId=to_base64("Dataset", target.id), taskType="split",
                         configuration=config)
    second = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                          taskType="split", configuration=config)
    await run(app, first)
    await run(app, second)
    tasks = [await read_task(client, world, t) for t in (first, second)]

    # then three versions, 800/100/100 rows, each keeping the 70/30 labels, no row in two
    parts = {e["node"]["metadata"]["part"]: e["node"]
             for e in tasks[0]["outputVersions"]["edges"]}
    assert {p: v["rowCount"] for p, v in parts.items()} == {
        "train": 800, "validation": 100, "test": 100}
    assert {v["dataset"]["name"] for v in parts.values()} == {"splits"}
    frames = {p: await stored_frame(app, db, v, "csv") for p, v in parts.items()}
    for part, frame in frames.items():
        share = frame.filter(pl.col("label") == "a").height / frame.height
        assert share == pytest.approx(0.7), part
    ids = [set(f["id"].to_list()) for f in frames.values()]
    assert set().union(*ids) == set(range(1000)) and sum(map(len, ids)) == 1000
    again = {e["node"]["metadata"]["part"]: e["node"]
             for e in tasks[1]["outputVersions"]["edges"]}
    assert {p: (await stored_frame(app, db, v, "csv"))["id"].to_list()
            for p, v in again.items()} == {
        p: f["id"].to_list() for p, f in frames.items()}
    assert tasks[0]["executionLogs"].splitlines()[2] == (
        "split with seed 7, stratified by 'label': train 800, validation 100, test 100")


async def test_convert_round_trips_through_parquet_and_jsonl(app, client, db, session,
                                                              world) -> None:
    dataset, _ = await source(session, app, world, csv_bytes(PEOPLE), "people.csv")
    gid = to_base64("Dataset", dataset.id)

    # when the CSV becomes Parquet, that Parquet JSONL, and that JSONL CSV again
    outputs = []
    source_version = None
    for fmt in ("parquet", "jsonl", "csv"):
        task_id = await create(client, world, sourceDatasetId=gid, taskType="convert",
                               sourceVersionId=source_version, configuration={"format": fmt})
        await run(app, task_id)
        task = await read_task(client, world, task_id)
        assert task["status"] == "COMPLETED", task
        [output] = [e["node"] for e in task["outputVersions"]["edges"]]
        outputs.append(output)
        source_version = output["id"]

    # then each step holds the same rows, and the last CSV is the first one
    assert [o["file"]["mimeType"] for o in outputs] == [
        "application/vnd.apache.parquet", "application/x-ndjson", "text/csv"]
    assert [o["rowCount"] for o in outputs] == [8, 8, 8]
    assert (await stored_frame(app, db, outputs[0], "parquet")).equals(PEOPLE)
    assert (await stored_frame(app, db, outputs[1], "jsonl")).equals(PEOPLE)
    assert (await stored_frame(app, db, outputs[2], "csv")).equals(PEOPLE)
    assert outputs[2]["parentVersion"] == {"version": outputs[1]["version"]}


async def test_profile_is_stored_on_the_source_version(app, client, session, world) -> None:
    dataset, _ = await source(session, app, world, csv_bytes(PEOPLE), "people.csv")

    task_id = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                           taskType="profile")
    await run(app, task_id)
    task = await read_task(client, world, task_id)

    scores = [s for s in PEOPLE["score"].to_list() if s is not None]
    profile = task["sourceVersion"]["profile"]
    assert (task["status"], task["outputVersions"]["totalCount"]) == ("COMPLETED", 0)
    assert task["sourceVersion"]["rowCount"] == 8
    assert (profile["rows"], profile["columnCount"]) == (8, 3)
    by_name = {c["name"]: c for c in profile["columns"]}
    assert {n: (c["kind"], c["nulls"], c["distinct"]) for n, c in by_name.items()} == {
        "id": ("integer", 0, 6), "city": ("text", 1, 4), "score": ("float", 4, 4)}
    score = by_name["score"]
    assert (score["min"], score["max"]) == (10.0, 60.0)
    assert score["mean"] == pytest.approx(statistics.mean(scores))
    assert score["std"] == pytest.approx(statistics.stdev(scores))
    assert score["quantiles"]["0.5"] == pytest.approx(statistics.median(scores))
    assert "quantiles" not in by_name["city"]


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"\x00\x01\x02 not a table \xff\xfe" * 10, "broken.parquet",
     "the file could not be read as PARQUET: "),
    (b'a,b\n1,2\n3,"unterminated\n', "ragged.jsonl", "the file could not be read as JSONL: "),
    (b"a,b\n1,2\n", "table.xlsx", "cannot tell the format of 'table.xlsx': name the file "
                                  ".csv, .jsonl or .parquet"),
])
async def test_a_file_that_cannot_be_read_fails_readably(app, client, session, world, content,
                                                         filename, message) -> None:
    dataset, _ = await source(session, app, world, content, filename)

    task_id = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                           taskType="profile")
    await run(app, task_id)
    task = await read_task(client, world, task_id)

    assert task["status"] == "FAILED"
    assert task["statusMessage"].startswith(message), task["statusMessage"]
    assert task["executionLogs"].splitlines()[-1] == f"failed: {task['statusMessage']}"


async def test_a_column_that_is_not_there_fails_and_names_the_columns(app, client, session,
                                                                      world) -> None:
    dataset, _ = await source(session, app, world, csv_bytes(PEOPLE), "people.csv")

    task_id = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                           taskType="split", configuration={"stratifyBy": "country"})
    await run(app, task_id)
    task = await read_task(client, world, task_id)

    assert (task["status"], task["statusMessage"]) == (
        "FAILED", "no column 'country' in the data (its columns: id, city, score)")
    assert task["outputVersions"]["totalCount"] == 0


async def test_a_cancelled_task_stops_without_results(app, client, db, session, world,
                                                      monkeypatch) -> None:
    # given a clean task whose work waits until the test lets it go
    dataset, _ = await source(session, app, world, csv_bytes(PEOPLE), "people.csv")
    task_id = await create(client, world, sourceDatasetId=to_base64("Dataset", dataset.id),
                           taskType="clean", configuration={})
    started, release = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    perform = processing_job.perform

    def held(*args):
        loop.call_soon_threadsafe(started.set)
        release.wait(30)
        return perform(*args)

    monkeypatch.setattr(processing_job, "perform", held)
    files_before = await db.fetch("SELECT count(*) FROM files")

    # when it is cancelled while it runs
    running = asyncio.create_task(run(app, task_id))
    await asyncio.wait_for(started.wait(), 30)
    answer = await gql(client, CANCEL, {"id": task_id}, headers=world.member)
    release.set()
    await asyncio.wait_for(running, 30)

    # then it stays cancelled, and no version or file was written
    assert answer["data"]["cancelDataProcessingTask"] == {
        "dataProcessingTask": {"status": "CANCELLED"}, "userErrors": []}
    task = await read_task(client, world, task_id)
    assert (task["status"], task["outputVersions"]["totalCount"]) == ("CANCELLED", 0)
    assert await db.fetch("SELECT count(*) FROM files") == files_before
    again = await gql(client, CANCEL, {"id": task_id}, headers=world.member)
    assert again["data"]["cancelDataProcessingTask"]["userErrors"] == [
        {"code": "INVALID_TRANSITION"}]
