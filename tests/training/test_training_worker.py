"""Training from end to end over a real `aiplatform worker` process: each trainer's model
version carries the metrics of the same fit done here, its per-iteration curve was stored and
streamed on the run's channel (what runProgress relays), its ONNX export predicts through the
gateway what the fit done here predicts; bad input fails the run readably; cancelling a
running training stops its job."""

from __future__ import annotations

import asyncio
import uuid
import warnings
from contextlib import AsyncExitStack
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sqlalchemy import select
from strawberry.relay import from_base64

from db.models import ModelVersion, Notification, Run, RunMetric
from resolvers.experiments.events import decode
from services.pubsub import run_channel
from tests.factories.deployments import make_deployment
from tests.gateway.conftest import make_api_key
from tests.graphql import gql
from tests.jobs.workers import eventually, workers
from tests.training.conftest import FEATURES, csv_bytes, start_training

pytestmark = pytest.mark.slow

WORKER = ("--queues", "model_training")
LONG_ENOUGH = {"AIPLATFORM_QUEUE_MODEL_TRAINING_TIMEOUT_SECONDS": "300"}
FINISHED = ("completed", "failed", "cancelled")
HYPERPARAMETERS = {
    "sklearn-logistic": {"C": 0.5, "seed": 11},
    "sklearn-gbdt": {"n_estimators": 25, "max_depth": 2, "learning_rate": 0.2,
                     "subsample": 0.8, "seed": 11},
    "sklearn-mlp": {"hidden_layer_sizes": [16], "epochs": 15, "learning_rate_init": 0.01,
                    "seed": 11, "validation_fraction": 0.25},
}
TRAINING_JOBS = ("SELECT status::text FROM procrastinate_jobs "
                 "WHERE task_name = 'training.train'")
CANCEL = """mutation ($id: ID!) { cancelRun(input: {runId: $id}) { run { status }
  userErrors { code } } }"""


def fit_here(trainer: str, x: np.ndarray, y: np.ndarray):
    """The plain scikit-learn fit of the same split, seed and hyperparameters: (model, split)."""
    hp = HYPERPARAMETERS[trainer]
    x_train, x_val, y_train, y_val = train_test_split(
        x, y, test_size=hp.get("validation_fraction", 0.2), random_state=hp["seed"])
    if trainer == "sklearn-logistic":
        with warnings.catch_warnings():  # unscaled columns: lbfgs stops at max_iter, as there
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=0.5, random_state=11).fit(x_train, y_train)
    elif trainer == "sklearn-gbdt":
        model = GradientBoostingClassifier(n_estimators=25, max_depth=2, learning_rate=0.2,
                                           subsample=0.8, random_state=11).fit(x_train, y_train)
    else:
        model = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
                              random_state=11)
        for _ in range(15):
            model.partial_fit(x_train, y_train, classes=np.unique(y_train))
    return model, (x_train, x_val, y_train, y_val)


def metrics_of(model, split) -> dict:
    x_train, x_val, y_train, y_val = split
    predicted = model.predict(x_val)
    return {
        "accuracy": accuracy_score(y_val, predicted),
        "f1": f1_score(y_val, predicted, average="macro", zero_division=0),
        "precision": precision_score(y_val, predicted, average="macro", zero_division=0),
        "recall": recall_score(y_val, predicted, average="macro", zero_division=0),
        "log_loss": log_loss(y_val, model.predict_proba(x_val), labels=model.classes_),
        "train_accuracy": accuracy_score(y_train, model.predict(x_train)),
        "train_rows": len(y_train), "validation_rows": len(y_val),
    }


def run_uuid(global_id: str) -> uuid.UUID:
    return uuid.UUID(from_base64(global_id)[1])


async def run_statuses(db, run_ids) -> list[str]:
    rows = await db.fetch("SELECT status FROM runs WHERE id = ANY($1::uuid[])",
                          [str(r) for r in run_ids])
    return [row[0] for row in rows]


async def until_finished(db, run_ids, log: Path, within: float = 120) -> None:
    async def done() -> bool:
        statuses = await run_statuses(db, run_ids)
        return len(statuses) == len(run_ids) and all(s in FINISHED for s in statuses)
    try:
        await eventually(done, "every run finished", within=within)
    except AssertionError as error:
        raise AssertionError(f"{error}; the worker's log ends:\n{tail(log)}") from None


def tail(log: Path) -> str:
    return "\n".join(log.read_text().splitlines()[-40:]) if log.exists() else "(no log)"


async def stream(subscription, log: Path) -> list:
    """The run's decoded events until its final status."""
    events = []
    try:
        async with asyncio.timeout(120):
            async for event in subscription:
                decoded = decode(event)
                events.append(decoded)
                if (type(decoded).__name__ == "RunStatusChanged"
                        and decoded.run.status in FINISHED):
                    return events
    except TimeoutError:
        raise AssertionError(f"{len(events)} events, no final status; the worker's log "
                             f"ends:\n{tail(log)}") from None
    return events


async def test_trained_versions_match_the_fits_done_here(
        app, client, db, session, settings, lab, tmp_path: Path) -> None:
    # given a queued training run per trainer, their channels listened to before any worker
    runs = {}
    for trainer, hp in HYPERPARAMETERS.items():
        payload = await start_training(client, lab.headers, experiment=lab.experiment,
                                       version=lab.version, trainer=trainer,
                                       hyperparameters=hp)
        assert payload["userErrors"] == [], payload
        runs[trainer] = run_uuid(payload["run"]["id"])
    async with AsyncExitStack() as stack:
        channels = {t: await stack.enter_async_context(
            app.state.pubsub.subscribe(run_channel(run_id))) for t, run_id in runs.items()}

        # when a worker process serves the model_training queue
        log = tmp_path / "worker.log"
        with workers(settings, log, *WORKER, **LONG_ENOUGH):
            streamed = {t: await stream(channels[t], log) for t in runs}
            await until_finished(db, list(runs.values()), log)

    notified = await session.scalars(select(Notification.kind).where(
        Notification.user_id == lab.alice.id))
    assert list(notified) == ["run.completed"] * 3
    key, _ = await make_api_key(session, organization=lab.acme, user=lab.alice)
    for trainer, run_id in runs.items():
        model, split = fit_here(trainer, lab.x, lab.y)
        x_val = split[1]
        run = await session.get(Run, run_id)
        version = await session.scalar(select(ModelVersion).where(
            ModelVersion.source_run_id == run_id))
        points = list(await session.scalars(select(RunMetric).where(RunMetric.run_id == run_id)
                                            .order_by(RunMetric.step, RunMetric.id)))

        # then the run completed with a model version whose metrics are those of the fit here
        assert (run.status, run.error_message) == ("completed", None), trainer
        assert version.metrics == metrics_of(model, split), trainer
        assert version.parameters["features"] == FEATURES
        assert version.parameters["classes"] == model.classes_.tolist()

        # its curve was stored per iteration, and streamed as it was stored
        steps = [p.step for p in points]
        losses = [p.loss for p in points]
        if trainer == "sklearn-gbdt":
            assert steps == list(range(1, 26))
            assert losses == model.train_score_.tolist()
        elif trainer == "sklearn-mlp":
            assert steps == list(range(1, 16))
            assert [p.epoch for p in points] == steps
            assert losses == model.loss_curve_
        else:  # lbfgs traced by stopped fits: the last point is the model's
            assert steps[0] == 1 and steps == sorted(set(steps)), steps
            assert steps[-1] > model.n_iter_[0] or steps[-1] == 100
            assert losses[-1] == log_loss(split[2], model.predict_proba(split[0]))
        events = streamed[trainer]
        assert [e.run.status for e in (events[0], events[-1])] == ["running", "completed"]
        reported = [(p.step, p.loss) for e in events[1:-1] for p in e.points]
        assert reported == list(zip(steps, losses, strict=True))

        # and its ONNX export predicts through the gateway what the fit here predicts
        deployment = await make_deployment(session, model_version=version, status="running",
                                           environment="production", name=f"cells-{trainer}")
        await session.commit()
        response = await client.post(f"/v1/deployments/{deployment.name}/predict",
                                     headers={"authorization": f"Bearer {key}"},
                                     json={"rows": x_val.tolist()})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["predictions"] == model.predict(x_val).tolist(), trainer
        assert np.allclose(answer["probabilities"], model.predict_proba(x_val), atol=1e-4)


async def test_input_the_trainer_cannot_use_fails_the_run_readably(
        app, client, db, session, settings, lab, tmp_path: Path) -> None:
    # given dataset versions a trainer cannot use
    storage = app.state.storage
    texts = await lab.dataset_version(
        session, storage, csv_bytes(np.c_[lab.x[:, :4], np.zeros(len(lab.x))], lab.y,
                                    header=[*FEATURES[:4], "batch", "health"]).replace(
            b",0.0,", b",B-7,"), "texts.csv")
    garbage = await lab.dataset_version(session, storage, b"\x00not parquet at all",
                                        "cells.parquet")
    notes = await lab.dataset_version(session, storage, b"a note", "notes.txt")
    await session.commit()
    cases = {
        "the target column 'wear' is not in the dataset (its columns: voltage, current, "
        "temperature, soc, cycles, health)": (lab.version, "wear", {}),
        "the feature column 'batch' holds String values": (texts, "health", {}),
        "the dataset file could not be read as PARQUET": (garbage, "health", {}),
        "cannot train on 'notes.txt': a CSV, Parquet or JSON Lines file is needed": (
            notes, "health", {}),
        "sklearn-gbdt could not train: The 'learning_rate' parameter": (
            lab.version, "health", {"learning_rate": -1}),
    }
    runs = {}
    for expected, (version, target, hp) in cases.items():
        payload = await start_training(client, lab.headers, experiment=lab.experiment,
                                       version=version, trainer="sklearn-gbdt", target=target,
                                       hyperparameters=hp)
        assert payload["userErrors"] == [], payload
        runs[expected] = run_uuid(payload["run"]["id"])

    # when a worker takes them
    log = tmp_path / "worker.log"
    with workers(settings, log, *WORKER, **LONG_ENOUGH):
        await until_finished(db, list(runs.values()), log)

    # then each run failed with its reason, and no version was registered
    for expected, run_id in runs.items():
        run = await session.get(Run, run_id)
        assert run.status == "failed", (expected, run.error_message)
        assert run.error_message.startswith(expected), run.error_message
    assert await session.scalar(select(ModelVersion.id)) is None
    jobs = await db.fetch(TRAINING_JOBS)
    assert [row[0] for row in jobs] == ["succeeded"] * len(cases)  # ended on purpose, not crashed


async def test_cancelling_a_running_training_stops_its_job(
        app, client, db, session, settings, lab, tmp_path: Path) -> None:
    # given a gbdt training far too long to finish, running on a worker
    payload = await start_training(client, lab.headers, experiment=lab.experiment,
                                   version=lab.version, trainer="sklearn-gbdt",
                                   hyperparameters={"n_estimators": 100_000})
    run_id = run_uuid(payload["run"]["id"])
    with workers(settings, tmp_path / "worker.log", *WORKER, **LONG_ENOUGH):
        async def reporting() -> bool:
            return (await db.fetch("SELECT 1 FROM run_metrics WHERE step >= 3 LIMIT 1")) != []
        await eventually(reporting, "the run's first iterations", within=60)

        # when alice cancels the run
        loop = asyncio.get_running_loop()
        asked = loop.time()
        body = await gql(client, CANCEL, {"id": payload["run"]["id"]}, headers=lab.headers)
        assert body["data"]["cancelRun"]["run"] == {"status": "CANCELLED"}, body

        async def aborted() -> bool:
            rows = await db.fetch(TRAINING_JOBS)
            return [row[0] for row in rows] == ["aborted"]
        await eventually(aborted, "the job aborted", within=10)
        stopped_after = loop.time() - asked

    # then the job stopped at once, the run stays cancelled and nothing was registered
    assert stopped_after < 2.0
    assert await run_statuses(db, [run_id]) == ["cancelled"]
    assert await session.scalar(select(ModelVersion.id)) is None
    steps = await db.fetch("SELECT max(step) FROM run_metrics")
    assert steps[0][0] < 100_000


async def test_a_training_longer_than_its_queue_allows_fails_the_run(
        app, client, db, session, settings, lab, tmp_path: Path) -> None:
    # given a model_training queue that allows 4 s, and a training far longer
    payload = await start_training(client, lab.headers, experiment=lab.experiment,
                                   version=lab.version, trainer="sklearn-gbdt",
                                   hyperparameters={"n_estimators": 100_000})
    run_id = run_uuid(payload["run"]["id"])

    # when a worker takes it
    log = tmp_path / "worker.log"
    with workers(settings, log, *WORKER, AIPLATFORM_QUEUE_MODEL_TRAINING_TIMEOUT_SECONDS="4"):
        await until_finished(db, [run_id], log, within=60)

    # then the run failed with the reason (before the worker's limit stopped the job, or, on a
    # machine too busy for that, as it did), and the job is not run again
    run = await session.get(Run, run_id)
    assert (run.status, run.error_message) == (
        "failed", "the training ran longer than the model_training queue allows (4 s)")
    [(job_status,)] = await db.fetch(TRAINING_JOBS)
    assert job_status in ("succeeded", "failed")
