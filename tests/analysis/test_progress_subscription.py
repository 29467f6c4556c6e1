"""analysisJobProgress over a real websocket to a server process, while this process runs the
analysis: the job as it is, PROCESSING, progress as the log is read, COMPLETED; a cancelled job
stops reading and its subscribers see CANCELLED; an outsider gets NOT_FOUND."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import orjson
import pytest
from strawberry.relay import to_base64
from websockets.asyncio.client import ClientConnection, connect

from services.charging import job as charging_job
from services.charging.job import run_charging_analysis
from services.charging.progress import PROGRESSED
from services.pubsub import analysis_job_channel
from tests.analysis.gbt_simulator import Script
from tests.analysis.gbt_simulator import session as scripted
from tests.analysis.uploads import uploaded_job
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import gql
from tests.servers import app_servers

PROGRESS = """subscription ($id: ID!) { analysisJobProgress(jobId: $id) {
  __typename
  ... on AnalysisJobStatusChanged { job { status progress } }
  ... on AnalysisJobProgressed { job { status progress } } } }"""
CANCEL = """mutation ($id: ID!) { cancelAnalysisJob(input: {id: $id}) {
  analysisJob { status } userErrors { code } } }"""
LONG = Script(charge_seconds=1800)  # about 100,000 frames: read in several steps


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    with app_servers(settings, AIPLATFORM_RATE_LIMIT_ENABLED="false") as (url,):
        yield url.replace("http://", "ws://") + "/graphql"


@pytest.fixture
def often(monkeypatch) -> None:
    """Progress written at every step of the reader rather than twice a second."""
    monkeypatch.setattr(charging_job, "REPORT_SECONDS", 0.01)


async def subscribe(server: str, authorization: str, job_id: str) -> ClientConnection:
    ws = await connect(server, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": authorization}}))
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {
        "query": PROGRESS, "variables": {"id": job_id}}}))
    return ws


async def events_until_complete(ws: ClientConnection) -> list[dict]:
    events = []
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if message["type"] == "complete":
            return events
        assert message["type"] == "next", message
        events.append(message["payload"]["data"]["analysisJobProgress"])


async def member(app, session, org) -> str:
    user = await make_user(session)
    await make_membership(session, organization=org, user=user, role="member")
    return (await bearer_headers(app, session, user))["authorization"]


async def test_a_subscriber_follows_the_job_to_its_end(app, server, charging, session, often,
                                                       tmp_path) -> None:
    # given: a pending job and a member of its organization subscribed to it
    org = await make_organization(session)
    authorization = await member(app, session, org)
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(LONG))
    ws = await subscribe(server, authorization, to_base64("AnalysisJob", job.id))
    first = json.loads(await asyncio.wait_for(ws.recv(), 30))  # joined the channel before this

    # when the analysis runs
    await run_charging_analysis(job.id)
    events = await events_until_complete(ws)
    await ws.close()

    # then: the job as it was, PROCESSING, rising progress, COMPLETED at 100
    assert first["payload"]["data"]["analysisJobProgress"] == {
        "__typename": "AnalysisJobStatusChanged", "job": {"status": "PENDING", "progress": 0.0}}
    assert events[0] == {"__typename": "AnalysisJobStatusChanged",
                         "job": {"status": "PROCESSING", "progress": 0.0}}
    assert events[-1] == {"__typename": "AnalysisJobStatusChanged",
                          "job": {"status": "COMPLETED", "progress": 100.0}}
    middle = events[1:-1]
    assert middle and {e["__typename"] for e in middle} == {"AnalysisJobProgressed"}
    progress = [e["job"]["progress"] for e in middle]
    assert progress == sorted(set(progress)) and 0 < progress[0] and progress[-1] < 100


async def test_cancelling_stops_a_running_analysis(app, server, charging, session, client,
                                                   often, redis, tmp_path, db) -> None:
    org = await make_organization(session)
    authorization = await member(app, session, org)
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(LONG))
    job_id = to_base64("AnalysisJob", job.id)
    ws = await subscribe(server, authorization, job_id)
    await asyncio.wait_for(ws.recv(), 30)
    listener = redis.pubsub()
    await listener.subscribe(analysis_job_channel(job.id))

    # when: the job is cancelled once its first progress is out
    running = asyncio.create_task(run_charging_analysis(job.id))
    async for message in listener.listen():
        if message["type"] == "message" and orjson.loads(message["data"])["type"] == PROGRESSED:
            break
    answer = await gql(client, CANCEL, {"id": job_id}, headers={"authorization": authorization})
    await asyncio.wait_for(running, 30)
    await listener.aclose()
    events = await events_until_complete(ws)
    await ws.close()

    # then: the analysis stopped without results, and subscribers saw CANCELLED last
    assert answer["data"]["cancelAnalysisJob"] == {"analysisJob": {"status": "CANCELLED"},
                                                   "userErrors": []}
    [row] = await db.fetch("SELECT status, result_data, progress < 100 AS partial, "
                           "(SELECT count(*) FROM analysis_results WHERE job_id = $1) AS n "
                           "FROM analysis_jobs WHERE id = $1", job.id)
    assert (row["status"], row["result_data"], row["partial"], row["n"]) == (
        "cancelled", None, True, 0)
    assert events[-1]["__typename"] == "AnalysisJobStatusChanged"
    assert events[-1]["job"]["status"] == "CANCELLED"


async def test_an_outsider_cannot_follow_a_job(app, server, charging, session, tmp_path
                                               ) -> None:
    org, other = await make_organization(session), await make_organization(session)
    authorization = await member(app, session, other)
    job = await uploaded_job(session, charging.storage, tmp_path, organization=org,
                             frames=scripted(Script(charge_seconds=5)))

    ws = await subscribe(server, authorization, to_base64("AnalysisJob", job.id))
    message = json.loads(await asyncio.wait_for(ws.recv(), 30))
    await ws.close()

    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
    assert message["payload"]["data"] is None
