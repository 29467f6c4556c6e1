"""Data processing from end to end over a real worker process, on a 1,000,000-row CSV:
`createDataProcessingTask` enqueues each task with its row, an `aiplatform worker` takes them
from the data_processing queue, and the profile, the clean, the stratified split and the
conversion to Parquet hold what the test computes itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from strawberry.relay import to_base64

from tests.ai_models.helpers import make_world
from tests.datasets.data_files import csv_bytes, version_with_file
from tests.factories.datasets import make_dataset
from tests.graphql import gql
from tests.jobs.workers import eventually, workers

ROWS, DUPLICATES = 1_000_000, 1_000
CREATE = """mutation ($input: CreateDataProcessingTaskInput!) {
  createDataProcessingTask(input: $input) { dataProcessingTask { id } userErrors { message } } }"""
TASKS = """{ datasets(first: 1) { edges { node { versions(first: 10) { edges { node {
  version rowCount profile metadata parentVersion { version } } } } } } } }"""


def people() -> pl.DataFrame:
    """ROWS rows: the last DUPLICATES repeat the first ones; every 97th score is missing;
    a label that is `a` 70 % of the time."""
    rng = np.random.default_rng(2026)
    n = ROWS - DUPLICATES
    frame = pl.DataFrame({
        "id": np.arange(n), "age": rng.integers(18, 90, n),
        "score": np.where(np.arange(n) % 97 == 0, np.nan, rng.normal(50, 10, n)),
        "label": rng.choice(["a", "b"], n, p=[0.7, 0.3])})
    frame = frame.with_columns(pl.col("score").fill_nan(None))
    return pl.concat([frame, frame.head(DUPLICATES)])


@pytest.mark.slow
async def test_a_million_rows_are_profiled_cleaned_split_and_converted_by_a_worker(
        app, client, db, session, settings, tmp_path: Path) -> None:
    # given a member's dataset whose version v1 is a 1,000,000-row CSV
    world = await make_world(app, session)
    frame = people()
    dataset = await make_dataset(session, organization=world.acme, name="people")
    await version_with_file(session, app.state.storage, dataset=dataset,
                            content=csv_bytes(frame), filename="people.csv")
    await session.commit()
    gid = to_base64("Dataset", dataset.id)
    tasks = [("profile", {}), ("clean", {"dropDuplicates": True}),
             ("split", {"ratios": {"train": 0.8, "validation": 0.1, "test": 0.1}, "seed": 1,
                        "stratifyBy": "label"}),
             ("convert", {"format": "parquet"})]

    # when the member creates the four tasks, with a worker process running
    with workers(settings, tmp_path / "worker.log", "--queues", "data_processing"):
        for task_type, configuration in tasks:
            body = await gql(client, CREATE, {"input": {
                "sourceDatasetId": gid, "name": task_type, "taskType": task_type,
                "configuration": configuration}}, headers=world.member)
            assert body["data"]["createDataProcessingTask"]["userErrors"] == [], body

        async def finished() -> bool:
            return await db.fetch("SELECT 1 FROM data_processing_tasks WHERE status IN "
                                  "('queued', 'running')") == []
        await eventually(finished, "the four tasks finished", within=120)

    # then all completed, each job once
    statuses = await db.fetch("SELECT task_type, status, status_message FROM "
                              "data_processing_tasks ORDER BY task_type")
    assert [tuple(r) for r in statuses] == [
        ("clean", "completed", "wrote 1 version"), ("convert", "completed", "wrote 1 version"),
        ("profile", "completed", f"profiled {ROWS} rows"),
        ("split", "completed", "wrote 3 versions")]
    assert [r[0] for r in await db.fetch("SELECT status::text FROM procrastinate_jobs WHERE "
                                         "task_name = 'dataprocessing.run'")] == [
        "succeeded"] * 4
    body = await gql(client, TASKS, headers=world.member)
    versions = {e["node"]["version"]: e["node"]
                for e in body["data"]["datasets"]["edges"][0]["node"]["versions"]["edges"]}

    # the profile holds what numpy computes
    profile = versions["v1"]["profile"]
    columns = {c["name"]: c for c in profile["columns"]}
    assert (profile["rows"], profile["columnCount"], versions["v1"]["rowCount"]) == (
        ROWS, 4, ROWS)
    scores = frame["score"].drop_nulls().to_numpy()
    assert (columns["score"]["nulls"], columns["score"]["distinct"]) == (
        frame["score"].null_count(), len(np.unique(scores)))
    expected = {"min": scores.min(), "max": scores.max(), "mean": scores.mean(),
                "std": scores.std(ddof=1)}
    assert {k: columns["score"][k] for k in expected} == pytest.approx(expected, rel=1e-9)
    assert columns["score"]["quantiles"] == pytest.approx(
        {str(q): np.quantile(scores, q) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}, rel=1e-9)
    ages = frame["age"].to_numpy()
    assert (columns["age"]["distinct"], columns["age"]["min"], columns["age"]["max"]) == (
        len(np.unique(ages)), ages.min(), ages.max())
    assert (columns["label"]["kind"], columns["label"]["distinct"]) == ("text", 2)

    # the clean removed exactly the repeated rows; the split kept the labels' shares
    by_type = {v["metadata"]["taskType"]: v for k, v in versions.items() if k != "v1"}
    assert by_type["clean"]["rowCount"] == ROWS - DUPLICATES
    assert by_type["convert"]["rowCount"] == ROWS
    assert {v["parentVersion"]["version"] for v in versions.values()
            if v["parentVersion"]} == {"v1"}
    parts = {v["metadata"]["part"]: v["rowCount"] for v in versions.values()
             if v["metadata"].get("part")}
    label_a = frame.filter(pl.col("label") == "a").height
    expected_parts = {
        "train": round(label_a * 0.8) + round((ROWS - label_a) * 0.8),
        "validation": round(label_a * 0.9) - round(label_a * 0.8)
        + round((ROWS - label_a) * 0.9) - round((ROWS - label_a) * 0.8)}
    expected_parts["test"] = ROWS - sum(expected_parts.values())
    assert parts == expected_parts


CANCEL = """mutation ($id: ID!) { cancelDataProcessingTask(input: {id: $id}) {
  dataProcessingTask { status } userErrors { code } } }"""


@pytest.mark.slow
async def test_cancelling_aborts_the_running_job_on_the_worker(
        app, client, db, session, settings, tmp_path: Path) -> None:
    # given a split of 2,000,000 rows (seconds of work), running on a worker process
    world = await make_world(app, session)
    frame = pl.concat([people(), people()])
    dataset = await make_dataset(session, organization=world.acme, name="people")
    await version_with_file(session, app.state.storage, dataset=dataset,
                            content=csv_bytes(frame), filename="people.csv")
    await session.commit()
    files_before = await db.fetch("SELECT count(*) FROM files")
    with workers(settings, tmp_path / "worker.log", "--queues", "data_processing"):
        body = await gql(client, CREATE, {"input": {
            "sourceDatasetId": to_base64("Dataset", dataset.id), "name": "split",
            "taskType": "split", "configuration": {"stratifyBy": "label"}}},
            headers=world.member)
        task_id = body["data"]["createDataProcessingTask"]["dataProcessingTask"]["id"]

        async def running() -> bool:
            return await db.fetch("SELECT 1 FROM data_processing_tasks WHERE status = "
                                  "'running'") != []
        await eventually(running, "the task started", within=60)

        # when the member cancels it
        answer = await gql(client, CANCEL, {"id": task_id}, headers=world.member)

        # then the worker aborts the job at once, and nothing of the task is recorded
        async def aborted() -> bool:
            return await db.fetch("SELECT 1 FROM procrastinate_jobs WHERE task_name = "
                                  "'dataprocessing.run' AND status = 'aborted'") != []
        await eventually(aborted, "the job aborted", within=2)
    assert answer["data"]["cancelDataProcessingTask"] == {
        "dataProcessingTask": {"status": "CANCELLED"}, "userErrors": []}
    [row] = await db.fetch("SELECT status, execution_logs FROM data_processing_tasks")
    assert tuple(row) == ("cancelled", None)
    assert await db.fetch("SELECT count(*) FROM files") == files_before
    assert await db.fetch("SELECT count(*) FROM dataset_versions") == [(1,)]
