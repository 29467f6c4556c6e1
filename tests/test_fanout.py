"""Shared subscription delivery (graphql_schema/fanout.py): one execution per event for the
subscribers that would get the same answer, their frames exactly as strawberry's own, each
subscriber still authorized alone, slow ones dropped without holding the others.

The servers run in this process (uvicorn on the test's event loop), so the test can look at
what the fan-out holds: its groups, their members, and nothing left once the sockets close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from redis.asyncio import Redis
from starlette.applications import Starlette
from strawberry.relay import to_base64
from websockets.asyncio.client import ClientConnection, connect

from app.main import create_app
from graphql_schema.fanout import END, ChannelFanout, Group, Member, SocketOperation, Step
from services.pubsub import PubSub, SlowSubscriber
from services.settings import Settings
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.deployments import make_deployment
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import free_port

TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
TIMEOUT = 10.0
POLL = 0.01
SUBSCRIBE = """subscription ($id: ID!) {
  deploymentStatus(id: $id) {
    previousStatus publishedAt
    deployment { status organization { members(first: 10) { edges { node {
      user { username organizations { totalCount } } } } } } }
  }
}"""
STATUS = """mutation ($input: UpdateDeploymentStatusInput!) {
  updateDeploymentStatus(input: $input) { deployment { status } userErrors { code } } }"""


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """`app` (its lifespan already running) served by uvicorn on this loop; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", ws_per_message_deflate=False))
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started or task.done())
    assert server.started
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, TIMEOUT)


async def until(condition: Callable[[], bool]) -> bool:
    """Poll a condition of state this test cannot await (a server's internals) until it holds
    or a deadline passes; returns its last value."""
    deadline = time.monotonic() + TIMEOUT
    for _ in range(int(TIMEOUT / POLL)):
        if condition() or time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL)
    return condition()


class Client:
    """One socket speaking either protocol; `raw()` is the next frame as the server sent it."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws, self.legacy = ws, protocol == LEGACY_WS

    @classmethod
    @asynccontextmanager
    async def connected(cls, host: str, protocol: str, token: str) -> AsyncIterator[Client]:
        async with connect(f"ws://{host}/graphql", subprotocols=[protocol]) as ws:  # type: ignore[list-item]
            client = cls(ws, protocol)
            await client.send({"type": "connection_init", "payload": {"Authorization": token}})
            assert (await client.receive())["type"] == "connection_ack"
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def raw(self) -> str | bytes:
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
            if orjson.loads(frame)["type"] != "ka":
                return frame

    async def receive(self) -> dict[str, Any]:
        return orjson.loads(await self.raw())

    async def subscribe(self, deployment_id: str, id: str = "1") -> dict[str, Any]:
        """Start the operation; its first event (the deployment as it is)."""
        await self.send({"id": id, "type": "start" if self.legacy else "subscribe",
                         "payload": {"query": SUBSCRIBE, "variables": {"id": deployment_id}}})
        first = await self.receive()
        assert first["type"] == ("data" if self.legacy else "next"), first
        return first["payload"]


def members_seen(payload: dict[str, Any]) -> dict[str, int]:
    """username → how many organizations the subscriber sees that user in."""
    edges = payload["data"]["deploymentStatus"]["deployment"]["organization"]["members"]["edges"]
    return {e["node"]["user"]["username"]: e["node"]["user"]["organizations"]["totalCount"]
            for e in edges}


async def change_status(host: str, deployment_id: str, token: str, status: str) -> None:
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        response = await http.post(f"http://{host}/graphql", headers={"authorization": token},
                                   json={"query": STATUS, "variables": {"input": {
                                       "deploymentId": deployment_id, "status": status}}})
    assert response.json()["data"]["updateDeploymentStatus"]["userErrors"] == []


def fanout_of(app: Starlette, channel: str) -> ChannelFanout | None:
    sink = app.state.pubsub.shared_sink(channel)
    assert sink is None or isinstance(sink, ChannelFanout)
    return sink


def group_sizes(app: Starlette, channel: str) -> list[int]:
    fanout = fanout_of(app, channel)
    return sorted(len(g.members) for g in fanout.groups.values()) if fanout else []


async def numsub(redis: Redis, channel: str) -> int:
    return dict(await redis.pubsub_numsub(channel))[channel.encode()]


@pytest.fixture
async def acme(app, session) -> dict[str, Any]:
    """A deployment of acme; alice (acme admin, also in beta) and bob (acme viewer) logged in.
    Each sees the other's organizations only where they share one."""
    acme, beta = await make_organization(session), await make_organization(session)
    alice, bob = await make_user(session, username="alice"), await make_user(session,
                                                                            username="bob")
    await make_membership(session, organization=acme, user=alice, role="admin")
    await make_membership(session, organization=beta, user=alice)
    await make_membership(session, organization=acme, user=bob, role="viewer")
    version = await make_model_version(session, model=await make_model(session, organization=acme))
    deployment = await make_deployment(session, model_version=version, created_by=alice)
    return {"id": to_base64("Deployment", deployment.id), "channel": f"deployment:{deployment.id}",
            "alice": (await bearer_headers(app, session, alice))["authorization"],
            "bob": (await bearer_headers(app, session, bob))["authorization"]}


async def test_one_execution_per_visibility_and_nothing_left_after(app, acme, redis) -> None:
    channel = acme["channel"]
    async with serving(app) as host:
        async with Client.connected(host, TRANSPORT_WS, acme["alice"]) as alice, \
                Client.connected(host, LEGACY_WS, acme["alice"]) as alice_again, \
                Client.connected(host, TRANSPORT_WS, acme["bob"]) as bob:
            for client in (alice, alice_again, bob):
                await client.subscribe(acme["id"])
            # alice's two sockets share one group, bob (another principal) has his own
            grouped = await until(lambda: group_sizes(app, channel) == [1, 2])

            await change_status(host, acme["id"], acme["alice"], "DEPLOYING")
            frames = [await c.raw() for c in (alice, alice_again, bob)]
            answers = [orjson.loads(f)["payload"] for f in frames]

            await bob.send({"id": "1", "type": "complete"})
            bob_left = await until(lambda: group_sizes(app, channel) == [2])
            subscribed = await numsub(redis, channel)
            fanout = fanout_of(app, channel)
        gone = await until(lambda: fanout_of(app, channel) is None)
        released = await numsub(redis, channel)
        stopped = fanout is not None and await until(fanout.task.done)

    assert grouped
    # each subscriber sees what its own principal may see
    assert members_seen(answers[0]) == {"alice": 2, "bob": 1}
    assert members_seen(answers[2]) == {"alice": 1, "bob": 1}
    assert answers[0] == answers[1]
    assert answers[0]["data"]["deploymentStatus"]["previousStatus"] == "PENDING"
    # the same payload in each protocol's envelope
    payload = orjson.dumps(answers[0]).decode()
    assert frames[0] == '{"id":"1","type":"next","payload":' + payload + "}"
    assert frames[1] == '{"type":"data","id":"1","payload":' + payload + "}"
    # unsubscribing and closing leave no group, channel task or Redis subscription behind
    assert bob_left and subscribed == 1
    assert gone and released == 0 and stopped


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_shared_frames_are_the_unshared_frames(app, acme, settings: Settings,
                                                     protocol) -> None:
    # given a second server process-alike on the same Redis that executes per subscriber
    unshared = create_app(settings.model_copy(update={"share_subscription_results": False}))
    async with unshared.router.lifespan_context(unshared), serving(app) as host, \
            serving(unshared) as other_host:
        async with Client.connected(host, protocol, acme["alice"]) as one, \
                Client.connected(other_host, protocol, acme["alice"]) as other:
            firsts = [await c.subscribe(acme["id"]) for c in (one, other)]
            assert await until(lambda: group_sizes(app, acme["channel"]) == [1])
            assert fanout_of(unshared, acme["channel"]) is None

            # when one change is published, both receive it from Redis
            await change_status(host, acme["id"], acme["alice"], "DEPLOYING")
            shared_frame, unshared_frame = await one.raw(), await other.raw()

    assert isinstance(shared_frame, str) and isinstance(unshared_frame, str)  # text frames
    assert shared_frame == unshared_frame
    assert members_seen(orjson.loads(shared_frame)["payload"]) == {"alice": 2, "bob": 1}
    assert firsts[0]["data"]["deploymentStatus"]["previousStatus"] is None


class Socket:
    """A websocket stand-in: takes frames at once, or (stalled) waits until released."""

    def __init__(self, stalled: bool = False) -> None:
        self.frames: list[str] = []
        self.open = asyncio.Event()
        if not stalled:
            self.open.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.open.wait()
        self.frames.append(message["text"])


async def test_a_stalled_socket_is_dropped_and_never_waited_for() -> None:
    # given a group with a reading member and one whose socket takes nothing
    group = Group(("key",), executor=None, context=None,  # type: ignore[arg-type]
                  step_of=lambda event: (event, False), strawberry_schema=None)
    fast_socket, stalled_socket = Socket(), Socket(stalled=True)
    members = [Member(None, group, SocketOperation(socket, "7", False, "", None, None),  # type: ignore[arg-type]
                      after=0, limit=3) for socket in (fast_socket, stalled_socket)]
    fast, stalled = members
    group.members.update(members)

    # when ten payloads are written, without awaiting anything in between
    for i in range(10):
        for member in list(group.members):
            member.send(f'{{"n":{i}}}')

    # then the reading member has all ten frames already
    assert fast_socket.frames == [f'{{"id":"7","type":"next","payload":{{"n":{i}}}}}'
                                  for i in range(10)]
    # and the stalled one was dropped after its three queued frames, out of the group
    assert stalled.done.done() and isinstance(stalled.done.exception(), SlowSubscriber)
    assert group.members == {fast}
    assert len(stalled.backlog) == 3 and stalled_socket.frames == []
    assert stalled.writer is not None
    stalled.writer.cancel()
    await asyncio.gather(stalled.writer, return_exceptions=True)


async def test_a_failing_group_ends_its_own_streams_only(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    bus = PubSub(redis)
    fanout = ChannelFanout(bus, "deployment:q", 8)

    def broken_step(event: dict[str, Any]) -> Step:
        raise ValueError("cannot decode")

    try:
        # given two groups on one channel, one of which cannot handle the channel's events
        groups = [Group((name,), executor=None, context=None,  # type: ignore[arg-type]
                        step_of=step, strawberry_schema=None)
                  for name, step in (("broken", broken_step), ("ending", lambda e: (END, True)))]
        members = []
        for group in groups:
            member = Member(fanout, group, SocketOperation(Socket(), "1", False, "", None, None),  # type: ignore[arg-type]
                            after=0, limit=3)
            group.members.add(member)
            fanout.groups[group.key] = group
            members.append(member)

        # when an event arrives
        fanout.offer({"deleted": True}, sequence=1)
        await asyncio.wait_for(asyncio.wait([m.done for m in members]), TIMEOUT)
        alive = not fanout.task.done()
    finally:
        fanout.task.cancel()
        await bus.close()
        await redis.aclose()

    # then the broken group's subscriber ends with the error (its resolver raises it: an
    # internal error), the next group still got the event, and the channel goes on
    assert isinstance(members[0].done.exception(), ValueError)
    assert members[1].done.result() is None
    assert alive
