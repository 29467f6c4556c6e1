"""Runs: startRun, reportRunMetrics, completeRun, failRun, cancelRun and the state machine."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from db.models import ApiKey, AuditLog, Notification, Run, RunMetric
from services.pubsub import notifications_channel, run_channel
from tests.experiments.conftest import audit_actions, gid, row_counts
from tests.factories.datasets import make_dataset
from tests.factories.experiments import make_run
from tests.factories.identity import make_membership
from tests.graphql import error_codes, gql

START = """
mutation ($input: StartRunInput!) {
  startRun(input: $input) {
    run { id name status hyperparameters totalSteps totalEpochs progress startedAt
          experiment { name } dataset { name } }
    userErrors { field message code }
  }
}
"""
REPORT = """
mutation ($input: ReportRunMetricsInput!) {
  reportRunMetrics(input: $input) {
    accepted
    run { status currentStep currentEpoch progress summaryMetrics }
    userErrors { field message code }
  }
}
"""
COMPLETE = """
mutation ($input: CompleteRunInput!) {
  completeRun(input: $input) {
    run { status progress summaryMetrics artifactsLocation completedAt }
    userErrors { field message code }
  }
}
"""
FAIL = """
mutation ($input: FailRunInput!) {
  failRun(input: $input) { run { status errorMessage completedAt } userErrors { field code } }
}
"""
CANCEL = """
mutation ($input: CancelRunInput!) {
  cancelRun(input: $input) { run { status } userErrors { field message code } }
}
"""


@pytest.fixture
async def run(session, team) -> Run:
    row = await make_run(session, experiment=team.experiment, status="pending",
                         created_by=team.alice, total_steps=10, name="r1")
    await session.commit()
    return row


async def next_event(subscription) -> dict:
    return await asyncio.wait_for(anext(subscription), 5)


def points(*steps: int, loss: float = 1.0) -> list[dict]:
    return [{"step": s, "epoch": s // 5, "loss": loss / (i + 1), "accuracy": i / 10,
             "learningRate": 0.1, "custom": {"f1": i / 20}} for i, s in enumerate(steps)]


# ------------------------------------------------------------------ startRun


async def test_start_run_creates_a_running_run_and_announces_it(app, client, session, team
                                                                ) -> None:
    dataset = await make_dataset(session, organization=team.acme, name="imagenet")
    await session.commit()

    body = await gql(client, START, {"input": {
        "experimentId": gid("Experiment", team.experiment), "name": "first",
        "datasetId": gid("Dataset", dataset), "hyperparameters": {"lr": 0.01},
        "totalSteps": 100, "totalEpochs": 4}}, headers=team.as_("alice"))

    payload = body["data"]["startRun"]
    assert payload["userErrors"] == []
    started = payload["run"]
    assert {k: v for k, v in started.items() if k not in ("id", "startedAt")} == {
        "name": "first", "status": "RUNNING", "hyperparameters": {"lr": 0.01},
        "totalSteps": 100, "totalEpochs": 4, "progress": 0.0,
        "experiment": {"name": "resnet"}, "dataset": {"name": "imagenet"}}
    assert started["startedAt"] is not None
    row = (await session.scalars(select(Run))).one()
    assert (row.created_by, row.organization_id) == (team.alice.id, team.acme.id)
    assert await audit_actions(session) == ["run.start"]


async def test_start_run_input_problems_are_all_reported_and_nothing_is_written(
    client, session, team
) -> None:
    before = await row_counts(session)
    neither = await gql(client, START, {"input": {"name": "x"}}, headers=team.as_("alice"))
    bad = await gql(client, START, {"input": {
        "experimentId": gid("Experiment", team.experiment), "hyperparameters": [1],
        "totalSteps": -1, "name": "n" * 201}}, headers=team.as_("alice"))

    assert neither["data"]["startRun"]["userErrors"] == [{
        "field": None, "message": "Give exactly one of experimentId and runId",
        "code": "INVALID"}]
    assert bad["data"]["startRun"]["userErrors"] == [
        {"field": ["input", "name"], "message": "name: at most 200 characters",
         "code": "INVALID"},
        {"field": ["input", "hyperparameters"], "message": "hyperparameters must be a JSON "
         "object", "code": "INVALID"},
        {"field": ["input", "totalSteps"], "message": "totalSteps must be 0 or more",
         "code": "INVALID"}]
    assert await row_counts(session) == before


async def test_start_run_refuses_a_dataset_of_another_organization(client, session, team
                                                                   ) -> None:
    await make_membership(session, organization=team.beta, user=team.alice)  # sees both
    theirs = await make_dataset(session, organization=team.beta, name="theirs")
    hidden = await make_dataset(session, organization=team.beta, name="hidden")
    await session.commit()
    before = await row_counts(session)
    experiment = gid("Experiment", team.experiment)

    visible = await gql(client, START, {"input": {
        "experimentId": experiment, "datasetId": gid("Dataset", theirs)}},
        headers=team.as_("alice"))
    unseen = await gql(client, START, {"input": {
        "experimentId": gid("Experiment", team.experiment), "datasetId": gid("Dataset", hidden)}},
        headers=team.as_("vic"))

    assert visible["data"]["startRun"]["userErrors"] == [{
        "field": ["input", "datasetId"], "message": "datasetId must belong to the same "
        "organization", "code": "WRONG_ORGANIZATION"}]
    assert error_codes(unseen) == ["FORBIDDEN"]
    assert await row_counts(session) == before


@pytest.mark.parametrize("status", ["pending", "queued"])
async def test_a_waiting_run_starts_once(app, client, session, team, status) -> None:
    run = await make_run(session, experiment=team.experiment, status=status)
    await session.commit()

    async with app.state.pubsub.subscribe(run_channel(run.id)) as events:
        first = await gql(client, START, {"input": {"runId": gid("Run", run),
                                                    "totalSteps": 20}},
                          headers=team.as_("alice"))
        event = await next_event(events)
    again = await gql(client, START, {"input": {"runId": gid("Run", run)}},
                      headers=team.as_("alice"))

    assert (event["type"], event["run"]["status"]) == ("RunStatusChanged", "running")
    assert first["data"]["startRun"]["run"]["status"] == "RUNNING"
    assert first["data"]["startRun"]["run"]["totalSteps"] == 20
    assert again["data"]["startRun"] == {"run": None, "userErrors": [{
        "field": ["input", "runId"], "message": "Cannot start a running run",
        "code": "INVALID_TRANSITION"}]}


@pytest.mark.parametrize(("who", "code"), [("vic", "FORBIDDEN"), ("bob", "NOT_FOUND")])
async def test_viewers_and_outsiders_change_no_run(client, session, team, run, who, code
                                                   ) -> None:
    before = await row_counts(session)
    run_id = gid("Run", run)
    bodies = [
        await gql(client, START, {"input": {"experimentId": gid("Experiment", team.experiment)}},
                  headers=team.as_(who)),
        await gql(client, START, {"input": {"runId": run_id}}, headers=team.as_(who)),
        await gql(client, REPORT, {"input": {"runId": run_id, "points": points(1)}},
                  headers=team.as_(who)),
        await gql(client, COMPLETE, {"input": {"runId": run_id}}, headers=team.as_(who)),
        await gql(client, FAIL, {"input": {"runId": run_id, "errorMessage": "x"}},
                  headers=team.as_(who)),
        await gql(client, CANCEL, {"input": {"runId": run_id}}, headers=team.as_(who)),
    ]

    assert [(b["data"], error_codes(b)) for b in bodies] == [(None, [code])] * 6
    assert await row_counts(session) == before


# ------------------------------------------------------------------ reportRunMetrics


async def test_the_first_report_starts_a_pending_run_and_stores_the_points(
    app, client, session, team, run
) -> None:
    async with app.state.pubsub.subscribe(run_channel(run.id)) as events:
        body = await gql(client, REPORT, {"input": {"runId": gid("Run", run),
                                                    "points": points(1, 2, 2, 5)}},
                         headers=team.as_("alice"))
        status, batch = await next_event(events), await next_event(events)

    payload = body["data"]["reportRunMetrics"]
    assert payload == {"accepted": 4, "userErrors": [], "run": {
        "status": "RUNNING", "currentStep": 5, "currentEpoch": 1, "progress": 0.5,
        "summaryMetrics": {"loss": 0.25, "best_loss": 0.25, "accuracy": 0.3,
                           "best_accuracy": 0.3, "learning_rate": 0.1, "f1": 0.15,
                           "points": 4}}}
    stored = (await session.scalars(select(RunMetric).order_by(RunMetric.step,
                                                               RunMetric.id))).all()
    assert [(m.step, m.epoch, m.loss, m.custom) for m in stored] == [
        (1, 0, 1.0, {"f1": 0.0}), (2, 0, 0.5, {"f1": 0.05}), (2, 0, 1 / 3, {"f1": 0.1}),
        (5, 1, 0.25, {"f1": 0.15})]  # the two points of step 2 in the order sent
    assert {m.organization_id for m in stored} == {team.acme.id}
    assert (status["type"], status["run"]["status"]) == ("RunStatusChanged", "running")
    assert batch["type"] == "RunMetricsReported" and batch["run"]["current_step"] == 5
    assert batch["points"] == {  # one list per field
        "step": [1, 2, 2, 5], "epoch": [0, 0, 0, 1], "loss": [1.0, 0.5, 1 / 3, 0.25],
        "accuracy": [0.0, 0.1, 0.2, 0.3], "learning_rate": [0.1] * 4,
        "gpu_memory_mb": [None] * 4, "custom": [{"f1": 0.0}, {"f1": 0.05}, {"f1": 0.1},
                                                {"f1": 0.15}]}
    audit = (await session.scalars(select(AuditLog))).one()
    assert (audit.action, audit.new_values) == ("run.report_metrics", {
        "points": 4, "first_step": 1, "last_step": 5, "started": True})


async def test_later_reports_keep_the_best_values_and_count(client, session, team, run
                                                           ) -> None:
    await gql(client, REPORT, {"input": {"runId": gid("Run", run), "points": points(1, 2)}},
              headers=team.as_("alice"))
    body = await gql(client, REPORT, {"input": {"runId": gid("Run", run), "points": [
        {"step": 3, "loss": 0.9, "accuracy": 0.05}]}}, headers=team.as_("alice"))

    summary = body["data"]["reportRunMetrics"]["run"]["summaryMetrics"]
    assert summary == {"loss": 0.9, "best_loss": 0.5, "accuracy": 0.05, "best_accuracy": 0.1,
                       "learning_rate": 0.1, "f1": 0.05, "points": 3}
    assert await audit_actions(session) == ["run.report_metrics"] * 2


async def test_report_problems_are_user_errors_and_nothing_is_written(client, session, team,
                                                                      run) -> None:
    before = await row_counts(session)
    run_id = gid("Run", run)

    empty = await gql(client, REPORT, {"input": {"runId": run_id, "points": []}},
                      headers=team.as_("alice"))
    too_many = await gql(client, REPORT, {"input": {"runId": run_id,
                                                    "points": points(*range(1001))}},
                         headers=team.as_("alice"))
    bad = await gql(client, REPORT, {"input": {"runId": run_id, "points": [
        {"step": 1}, {"step": -1, "epoch": -2}, {"step": 2, "custom": [1]}]}},
        headers=team.as_("alice"))

    assert empty["data"]["reportRunMetrics"]["userErrors"] == [{
        "field": ["input", "points"], "message": "Send at least one point", "code": "INVALID"}]
    assert too_many["data"]["reportRunMetrics"]["userErrors"] == [{
        "field": ["input", "points"], "code": "TOO_MANY_POINTS",
        "message": "At most 1000 points per call (got 1001): send several batches"}]
    assert bad["data"]["reportRunMetrics"] == {"accepted": 0, "run": None, "userErrors": [
        {"field": ["input", "points.1.step"], "message": "points[1]: step must be 0 or more",
         "code": "INVALID"},
        {"field": ["input", "points.1.epoch"], "message": "points[1]: epoch must be 0 or more",
         "code": "INVALID"},
        {"field": ["input", "points.2.custom"], "message": "points[2]: custom must be a JSON "
         "object", "code": "INVALID"}]}
    assert await row_counts(session) == before
    assert (await session.get(Run, run.id, populate_existing=True)).status == "pending"


async def test_a_point_of_the_wrong_type_is_a_variable_error_and_nothing_is_written(
    client, session, team, run
) -> None:
    before = await row_counts(session)
    good = points(*range(999))

    body = await gql(client, REPORT, {"input": {"runId": gid("Run", run),
                                                "points": [*good, {"step": 5, "loss": "low"}]}},
                     headers=team.as_("alice"))

    assert body.get("data") is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [(
        "Variable '$input' has invalid value at .points[999].loss: Float cannot represent "
        "non numeric value: 'low'", "BAD_USER_INPUT")]
    assert await row_counts(session) == before


async def test_custom_values_that_are_not_numbers_leave_the_summary_alone(
    client, session, team, run
) -> None:
    await gql(client, REPORT, {"input": {"runId": gid("Run", run), "points": [
        {"step": 1, "custom": {"f1": 0.5, "note": "warm-up"}},
        {"step": 2, "custom": {"f1": "n/a", "flag": True}}]}}, headers=team.as_("alice"))
    body = await gql(client, REPORT, {"input": {"runId": gid("Run", run), "points": [
        {"step": 3, "loss": 2, "custom": {"loss": 9.0}}]}}, headers=team.as_("alice"))

    assert body["data"]["reportRunMetrics"]["run"]["summaryMetrics"] == {
        "f1": 0.5, "loss": 2.0, "best_loss": 2.0, "points": 3}


async def test_a_finished_run_takes_no_points(client, session, team) -> None:
    done = await make_run(session, experiment=team.experiment, status="completed")
    await session.commit()
    before = await row_counts(session)

    body = await gql(client, REPORT, {"input": {"runId": gid("Run", done),
                                                "points": points(1)}}, headers=team.as_("alice"))

    assert body["data"]["reportRunMetrics"]["userErrors"] == [{
        "field": ["input", "runId"], "message": "Cannot report metrics to a completed run",
        "code": "INVALID_TRANSITION"}]
    assert await row_counts(session) == before


async def test_an_api_key_needs_the_experiment_write_scope(client, session, team, run) -> None:
    from services.security.api_keys import generate_api_key

    keys = {}
    for name, scopes in (("trainer", ["experiment:write"]), ("reader", [])):
        secret, prefix, key_hash = generate_api_key()
        session.add(ApiKey(organization_id=team.acme.id, user_id=team.alice.id, name=name,
                           prefix=prefix, key_hash=key_hash, scopes=scopes))
        keys[name] = {"authorization": f"Bearer {secret}"}
    await session.commit()

    allowed = await gql(client, REPORT, {"input": {"runId": gid("Run", run),
                                                   "points": points(1)}}, headers=keys["trainer"])
    refused = await gql(client, REPORT, {"input": {"runId": gid("Run", run),
                                                   "points": points(2)}}, headers=keys["reader"])

    assert allowed["data"]["reportRunMetrics"]["accepted"] == 1
    assert error_codes(refused) == ["FORBIDDEN"]


# ------------------------------------------------------------------ finishing


async def test_complete_run_finishes_it_and_notifies_its_creator(app, client, session, team,
                                                                 run) -> None:
    run_id = gid("Run", run)
    pending = await gql(client, COMPLETE, {"input": {"runId": run_id}}, headers=team.as_("alice"))
    await gql(client, REPORT, {"input": {"runId": run_id, "points": points(1)}},
              headers=team.as_("alice"))
    async with app.state.pubsub.subscribe(notifications_channel(team.alice.id)) as inbox:
        body = await gql(client, COMPLETE, {"input": {
            "runId": run_id, "summaryMetrics": {"bleu": 31.5}, "artifactsLocation": "s3://b/r1"}},
            headers=team.as_("alice"))
        notified = await next_event(inbox)

    assert pending["data"]["completeRun"]["userErrors"] == [{
        "field": ["input", "runId"], "message": "Cannot complete a pending run",
        "code": "INVALID_TRANSITION"}]
    done = body["data"]["completeRun"]["run"]
    assert (done["status"], done["progress"], done["artifactsLocation"]) == (
        "COMPLETED", 1.0, "s3://b/r1")
    assert done["summaryMetrics"]["bleu"] == 31.5 and done["summaryMetrics"]["points"] == 1
    assert done["completedAt"] is not None
    note = (await session.scalars(select(Notification))).one()
    assert (note.user_id, note.kind, note.title, note.data) == (
        team.alice.id, "run.completed", "Run r1 completed", {"runId": run_id,
                                                             "status": "completed"})
    assert notified["notification"]["id"] == str(note.id)
    assert await audit_actions(session) == ["run.report_metrics", "run.complete"]


async def test_fail_run_keeps_the_error_and_a_final_run_stays_final(client, session, team, run
                                                                   ) -> None:
    run_id = gid("Run", run)
    empty = await gql(client, FAIL, {"input": {"runId": run_id, "errorMessage": " "}},
                      headers=team.as_("alice"))
    failed = await gql(client, FAIL, {"input": {"runId": run_id, "errorMessage": "CUDA OOM"}},
                       headers=team.as_("alice"))
    again = [await gql(client, doc, {"input": values}, headers=team.as_("alice"))
             for doc, values in ((FAIL, {"runId": run_id, "errorMessage": "x"}),
                                 (CANCEL, {"runId": run_id}), (START, {"runId": run_id}),
                                 (COMPLETE, {"runId": run_id}))]

    assert empty["data"]["failRun"]["userErrors"] == [{"field": ["input", "errorMessage"],
                                                       "code": "INVALID"}]
    assert failed["data"]["failRun"]["run"]["status"] == "FAILED"
    assert failed["data"]["failRun"]["run"]["errorMessage"] == "CUDA OOM"
    assert [next(iter(b["data"].values()))["userErrors"][0]["code"] for b in again] == [
        "INVALID_TRANSITION"] * 4
    note = (await session.scalars(select(Notification))).one()
    assert (note.kind, note.body) == ("run.failed", "CUDA OOM")
    assert await audit_actions(session) == ["run.fail"]


async def test_cancel_run_stops_a_pending_run_without_a_creator(app, client, session, team
                                                                ) -> None:
    orphan = await make_run(session, experiment=team.experiment)
    await session.commit()

    async with app.state.pubsub.subscribe(run_channel(orphan.id)) as events:
        body = await gql(client, CANCEL, {"input": {"runId": gid("Run", orphan)}},
                         headers=team.as_("alice"))
        event = await next_event(events)

    assert body["data"]["cancelRun"] == {"run": {"status": "CANCELLED"}, "userErrors": []}
    assert (event["type"], event["run"]["status"]) == ("RunStatusChanged", "cancelled")
    assert (await session.scalars(select(Notification))).all() == []  # nobody to tell
    assert await audit_actions(session) == ["run.cancel"]
