"""startTrainingJob without a worker: the queued run and its job are written together, input
problems come back as userErrors with nothing written, other organizations' experiments and
dataset versions stay out of reach, and cancelling the run cancels its job."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Run
from tests.conftest import bearer_headers
from tests.factories.datasets import make_dataset, make_dataset_version
from tests.factories.experiments import make_experiment, make_project
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql
from tests.training.conftest import START, TARGET, gid, start_training

JOBS = ("SELECT status::text, queue_name, args FROM procrastinate_jobs "
        "WHERE task_name = 'training.train'")
CANCEL = """mutation ($id: ID!) { cancelRun(input: {runId: $id}) { run { status }
  userErrors { code } } }"""


async def count_runs(session) -> int:
    return await session.scalar(select(func.count()).select_from(Run))


async def test_a_run_is_queued_with_its_job(client, db, session, lab) -> None:
    # when alice starts a gbdt training of 40 stages
    payload = await start_training(client, lab.headers, experiment=lab.experiment,
                                   version=lab.version, trainer="sklearn-gbdt",
                                   hyperparameters={"n_estimators": 40, "seed": 3})

    # then the run waits in the queue, and its job names what to train
    assert payload["userErrors"] == []
    assert payload["run"]["status"] == "QUEUED"
    assert payload["run"]["totalSteps"] == 40
    run = await session.scalar(select(Run))
    assert run.name == f"sklearn-gbdt on {lab.dataset.name} {lab.version.version}"
    assert run.hyperparameters == {"n_estimators": 40, "seed": 3}
    [(status, queue, args)] = await db.fetch(JOBS)
    assert (status, queue) == ("todo", "model_training")
    assert args == {"run_id": str(run.id), "dataset_version_id": str(lab.version.id),
                    "trainer": "sklearn-gbdt", "target_column": TARGET, "model_id": None}


async def test_input_problems_come_back_together_and_nothing_is_written(
        app, client, db, session, lab) -> None:
    # given a dataset version without a file
    bare = await make_dataset_version(session, dataset=await make_dataset(
        session, organization=lab.acme))
    await session.commit()

    unknown = await start_training(client, lab.headers, experiment=lab.experiment,
                                   version=bare, trainer="sklearn-forest",
                                   target=" ")
    wrong_keys = await start_training(client, lab.headers, experiment=lab.experiment,
                                      version=lab.version, trainer="sklearn-mlp",
                                      hyperparameters={"n_estimators": 5, "seed": -1,
                                                       "validation_fraction": 1.5})

    assert unknown["run"] is None
    assert sorted((e["field"][-1], e["code"]) for e in unknown["userErrors"]) == [
        ("datasetVersionId", "INVALID"), ("targetColumn", "INVALID"),
        ("trainer", "UNKNOWN_TRAINER")]
    assert [e["message"] for e in wrong_keys["userErrors"]] == [
        "sklearn-mlp takes no n_estimators (it takes seed, validation_fraction, features, "
        "hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate_init, "
        "momentum, epochs)",
        "seed: an integer from 0 to 2^32 - 1",
        "validation_fraction: a number between 0 and 1"]
    assert await count_runs(session) == 0
    assert await db.fetch(JOBS) == []


async def test_other_organizations_cannot_train_on_your_experiment_or_data(
        app, client, db, session, lab) -> None:
    # given bob, owner of beta with his own experiment and data, and vic, acme's viewer
    beta, bob, vic = await make_organization(session), await make_user(session), \
        await make_user(session)
    await make_membership(session, organization=beta, user=bob, role="owner")
    await make_membership(session, organization=lab.acme, user=vic, role="viewer")
    own_experiment = await make_experiment(session, project=await make_project(
        session, organization=beta))
    own_version = await make_dataset_version(session, dataset=await make_dataset(
        session, organization=beta))
    await session.commit()
    bob_headers = await bearer_headers(app, session, bob)
    vic_headers = await bearer_headers(app, session, vic)

    def request(experiment, version) -> dict:
        return {"input": {"experimentId": gid("Experiment", experiment.id),
                          "datasetVersionId": gid("DatasetVersion", version.id),
                          "trainer": "sklearn-logistic", "targetColumn": TARGET}}

    on_acme_experiment = await gql(client, START, request(lab.experiment, own_version),
                                   headers=bob_headers)
    with_acme_data = await gql(client, START, request(own_experiment, lab.version),
                               headers=bob_headers)
    as_viewer = await gql(client, START, request(lab.experiment, lab.version),
                          headers=vic_headers)
    anonymous = await gql(client, START, request(lab.experiment, lab.version))

    assert error_codes(on_acme_experiment) == ["NOT_FOUND"]
    assert error_codes(with_acme_data) == ["NOT_FOUND"]
    assert error_codes(as_viewer) == ["FORBIDDEN"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await count_runs(session) == 0
    assert await db.fetch(JOBS) == []


async def test_cancelling_a_queued_training_run_cancels_its_job(client, db, session, lab
                                                               ) -> None:
    payload = await start_training(client, lab.headers, experiment=lab.experiment,
                                   version=lab.version, trainer="sklearn-logistic")

    body = await gql(client, CANCEL, {"id": payload["run"]["id"]}, headers=lab.headers)

    assert body["data"]["cancelRun"] == {"run": {"status": "CANCELLED"}, "userErrors": []}
    assert [row[0] for row in await db.fetch(JOBS)] == ["cancelled"]
