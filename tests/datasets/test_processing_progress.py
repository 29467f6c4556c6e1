"""dataProcessingTaskProgress over a real websocket to a server process, while this process
runs the task: the task as it is, RUNNING, progress after each step, COMPLETED; a cancelled
task's subscribers see CANCELLED last; an outsider gets NOT_FOUND."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest
from strawberry.relay import to_base64
from websockets.asyncio.client import ClientConnection, connect

from services.dataprocessing.job import run_data_processing
from tests.ai_models.helpers import World, make_world
from tests.datasets.data_files import version_with_file
from tests.factories.datasets import make_dataset, make_processing_task
from tests.graphql import gql
from tests.servers import app_servers

PROGRESS = """subscription ($id: ID!) { dataProcessingTaskProgress(taskId: $id) {
  __typename
  ... on DataProcessingTaskStatusChanged { task { status progress } }
  ... on DataProcessingTaskProgressed { task { status progress } } } }"""
CANCEL = """mutation ($id: ID!) { cancelDataProcessingTask(input: {id: $id}) {
  dataProcessingTask { status } userErrors { code } } }"""


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    with app_servers(settings, AIPLATFORM_RATE_LIMIT_ENABLED="false") as (url,):
        yield url.replace("http://", "ws://") + "/graphql"


@pytest.fixture
async def world(app, session) -> World:
    return await make_world(app, session)


async def subscribe(server: str, headers: dict[str, str], task_id: str) -> ClientConnection:
    ws = await connect(server, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": headers["authorization"]}}))
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {
        "query": PROGRESS, "variables": {"id": task_id}}}))
    return ws


async def next_message(ws: ClientConnection) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 30))  # type: ignore[no-any-return]


async def events_until_complete(ws: ClientConnection) -> list[dict]:
    events = []
    while (message := await next_message(ws))["type"] != "complete":
        assert message["type"] == "next", message
        events.append(message["payload"]["data"]["dataProcessingTaskProgress"])
    return events


async def queued_task(app, session, world: World, **fields):
    dataset = await make_dataset(session, organization=world.acme, name="people")
    version = await version_with_file(session, app.state.storage, dataset=dataset,
                                      content=b"id,x\n1,2\n1,2\n3,4\n", filename="people.csv")
    task = await make_processing_task(session, source_dataset=dataset, source_version=version,
                                      task_type="clean", status="queued", **fields)
    await session.commit()
    return task


def changed(status: str, progress: float) -> dict:
    return {"__typename": "DataProcessingTaskStatusChanged",
            "task": {"status": status, "progress": progress}}


async def test_a_subscriber_follows_the_task_to_its_end(app, server, session, world) -> None:
    # given a queued clean task and a member subscribed to it
    task = await queued_task(app, session, world, configuration={"dropDuplicates": True})
    ws = await subscribe(server, world.member, to_base64("DataProcessingTask", task.id))
    first = await next_message(ws)  # joined the channel before this

    # when the task runs
    await run_data_processing(task.id, app.state.db, app.state.storage, app.state.pubsub)
    events = await events_until_complete(ws)
    await ws.close()

    # then: the task as it was, RUNNING, a step's progress each, COMPLETED at 100
    assert first["payload"]["data"]["dataProcessingTaskProgress"] == changed("QUEUED", 0.0)
    progressed = {"__typename": "DataProcessingTaskProgressed"}
    assert events == [changed("RUNNING", 0.0),
                      {**progressed, "task": {"status": "RUNNING", "progress": 50.0}},
                      {**progressed, "task": {"status": "RUNNING", "progress": 90.0}},
                      changed("COMPLETED", 100.0)]


async def test_cancelling_ends_the_stream(app, client, server, session, world) -> None:
    task = await queued_task(app, session, world, configuration={"dropDuplicates": True})
    task_id = to_base64("DataProcessingTask", task.id)
    ws = await subscribe(server, world.member, task_id)
    await next_message(ws)

    answer = await gql(client, CANCEL, {"id": task_id}, headers=world.member)
    events = await events_until_complete(ws)
    await ws.close()
    await run_data_processing(task.id, app.state.db, app.state.storage, app.state.pubsub)

    assert answer["data"]["cancelDataProcessingTask"]["userErrors"] == []
    assert events == [changed("CANCELLED", 0.0)]
    [row] = await app.state.db.fetch("SELECT status FROM data_processing_tasks WHERE id = $1",
                                     task.id)
    assert row[0] == "cancelled"  # the worker left the cancelled task alone


@pytest.mark.parametrize("task_id", ["outsider's view", "unknown"])
async def test_an_outsider_cannot_follow_a_task(app, server, session, world, task_id) -> None:
    task = await queued_task(app, session, world)
    target = task.id if task_id == "outsider's view" else uuid.uuid4()

    ws = await subscribe(server, world.outsider, to_base64("DataProcessingTask", target))
    message = await next_message(ws)
    await ws.close()

    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["NOT_FOUND"]
    assert message["payload"]["data"] is None
