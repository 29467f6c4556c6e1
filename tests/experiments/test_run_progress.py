"""runProgress over real websockets, across two server processes.

Two `uvicorn app.main:create_app` processes share the test database and Redis. A subscriber on
each, reports sent to the first only: both receive the whole stream, in order, and it matches
what was stored. The first event of a subscription (the run as it is) tells the client it is
subscribed, so the tests need no sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from db.models import RunMetric
from services.pubsub import run_channel
from tests.conftest import bearer_headers
from tests.experiments.conftest import gid, start_servers
from tests.factories.experiments import make_run

PROTOCOL = "graphql-transport-ws"
PROGRESS = """
subscription ($runId: ID!) {
  runProgress(runId: $runId) {
    __typename
    ... on RunStatusChanged { run { status currentStep } }
    ... on RunMetricsReported {
      run { currentStep }
      points { step epoch loss accuracy learningRate custom }
    }
  }
}
"""
REPORT = """
mutation ($input: ReportRunMetricsInput!) {
  reportRunMetrics(input: $input) { accepted userErrors { code } }
}
"""
COMPLETE = "mutation ($id: ID!) { completeRun(input: {runId: $id}) { run { status } } }"


@pytest.fixture(scope="module")
def servers(settings) -> Iterator[list[str]]:
    yield from start_servers(settings, 2)


@pytest.fixture
async def alice(app, session, team) -> dict[str, str]:
    return await bearer_headers(app, session, team.alice)


async def subscribe(base_url: str, authorization: str, run_id: str) -> ClientConnection:
    """A socket subscribed to runProgress, after its first event (returned by `receive`)."""
    ws = await connect(base_url.replace("http", "ws", 1) + "/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": authorization}}))
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    await ws.send(json.dumps({"type": "subscribe", "id": "p", "payload": {
        "query": PROGRESS, "variables": {"runId": run_id}}}))
    return ws


async def receive_all(ws: ClientConnection) -> list[dict]:
    """Every `next` payload until the server completes the subscription."""
    payloads = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if message["type"] == "complete":
            return payloads
        assert message["type"] == "next", message
        payloads.append(message["payload"])


def sent_points(first: int, n: int) -> list[dict]:
    return [{"step": s, "epoch": s // 100, "loss": 2.0 / (s + 1), "accuracy": s / 1000,
             "learningRate": 0.001, "custom": {"grad_norm": s % 7}}
            for s in range(first, first + n)]


async def test_two_processes_deliver_the_whole_stream_in_order(
    servers, session, team, alice, redis
) -> None:
    # given a pending run, and a subscriber on each server process
    run = await make_run(session, experiment=team.experiment, total_steps=900)
    await session.commit()
    run_id = gid("Run", run)
    sockets = [await subscribe(url, alice["authorization"], run_id) for url in servers]
    firsts = [json.loads(await asyncio.wait_for(ws.recv(), 20)) for ws in sockets]
    assert [f["payload"]["data"]["runProgress"] for f in firsts] == [
        {"__typename": "RunStatusChanged", "run": {"status": "PENDING", "currentStep": 0}}] * 2

    # when three batches and the completion go to the first server only
    batches = [sent_points(0, 300), sent_points(300, 300), sent_points(600, 300)]
    async with httpx.AsyncClient(base_url=servers[0], headers=alice) as http:
        for batch in batches:
            answer = (await http.post("/graphql", json={"query": REPORT, "variables": {
                "input": {"runId": run_id, "points": batch}}})).json()
            assert answer["data"]["reportRunMetrics"] == {"accepted": 300, "userErrors": []}
        done = (await http.post("/graphql", json={"query": COMPLETE,
                                                  "variables": {"id": run_id}})).json()
    streams = [await receive_all(ws) for ws in sockets]
    for ws in sockets:
        await ws.close()

    # then both subscribers got the same stream: started, three batches in order, completed
    assert done["data"]["completeRun"]["run"]["status"] == "COMPLETED"
    assert streams[0] == streams[1]
    events = [p["data"]["runProgress"] for p in streams[0]]
    assert [e["__typename"] for e in events] == [
        "RunStatusChanged", "RunMetricsReported", "RunMetricsReported", "RunMetricsReported",
        "RunStatusChanged"]
    assert events[0]["run"] == {"status": "RUNNING", "currentStep": 299}
    assert [e["run"]["currentStep"] for e in events[1:4]] == [299, 599, 899]
    assert events[4]["run"] == {"status": "COMPLETED", "currentStep": 899}
    received = [p for e in events[1:4] for p in e["points"]]
    assert received == [p for batch in batches for p in batch]
    # and what was stored is what was streamed
    stored = (await session.scalars(select(RunMetric).where(RunMetric.run_id == run.id)
                                    .order_by(RunMetric.step, RunMetric.id))).all()
    assert [{"step": m.step, "epoch": m.epoch, "loss": m.loss, "accuracy": m.accuracy,
             "learningRate": m.learning_rate, "custom": m.custom} for m in stored] == received
    # and a finished stream leaves no Redis subscription behind, in either process
    assert dict(await redis.pubsub_numsub(run_channel(run.id))) == {
        run_channel(run.id).encode(): 0}


async def test_a_finished_run_sends_its_state_and_completes(servers, session, team, alice
                                                           ) -> None:
    run = await make_run(session, experiment=team.experiment, status="cancelled")
    await session.commit()

    ws = await subscribe(servers[1], alice["authorization"], gid("Run", run))
    stream = await receive_all(ws)
    await ws.close()

    assert stream == [{"data": {"runProgress": {
        "__typename": "RunStatusChanged", "run": {"status": "CANCELLED", "currentStep": 0}}}}]


@pytest.mark.parametrize("who", ["bob", "nobody"])
async def test_an_outsider_cannot_follow_a_run(app, servers, session, team, who) -> None:
    run = await make_run(session, experiment=team.experiment)
    await session.commit()
    authorization = ("" if who == "nobody"
                     else (await bearer_headers(app, session, team.bob))["authorization"])

    ws = await subscribe(servers[0], authorization, gid("Run", run))
    message = json.loads(await asyncio.wait_for(ws.recv(), 20))
    await ws.close()

    assert message["type"] == "next"
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
    assert message["payload"]["data"] is None
