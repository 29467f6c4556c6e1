"""Graceful shutdown of real `aiplatform serve` processes: SIGTERM in the middle of a streaming
chat reply closes every GraphQL socket with 1001 (going away) in both protocols, lets the reply
finish within AIPLATFORM_SHUTDOWN_GRACE_SECONDS or stores it as failed with a reason, never
half-stored, and the process exits within the grace period."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from httpx_sse import aconnect_sse
from redis.asyncio import Redis
from sqlalchemy import select
from strawberry.relay import from_base64, to_base64
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from db.models import ChatMessage, ModelUsageLog
from resolvers.chat.generation import CANCELLED
from services.chat_stream import replies_key
from services.settings import Settings
from tests.chat.test_streaming import subscribers_of as subscribed_processes
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
STREAM = """
subscription ($id: ID!) {
  chatMessageStream(sessionId: $id) {
    __typename
    ... on ChatTokenDelta { index delta }
    ... on ChatMessageCompleted { message { id content } }
    ... on ChatMessageFailed { messageId error }
  }
}"""
SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { replyMessageId userErrors { code } }
}"""


@contextmanager
def serving(settings: Settings, data_dir: Path, grace: float, **extra: str) -> Iterator[
        tuple[str, subprocess.Popen[bytes]]]:
    """`aiplatform serve` on the test database and Redis (and `extra` settings): its base URL
    and process."""
    assert settings.database_url and settings.redis_url and settings.secret_key
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url,
           "REDIS_URL": settings.redis_url,
           "AIPLATFORM_SECRET_KEY": settings.secret_key.get_secret_value(),
           "AIPLATFORM_HOST": "127.0.0.1", "AIPLATFORM_PORT": str(port),
           "AIPLATFORM_DATA_DIR": str(data_dir), "AIPLATFORM_LOG_LEVEL": "warning",
           "AIPLATFORM_RATE_LIMIT_ENABLED": "false",
           "AIPLATFORM_SHUTDOWN_GRACE_SECONDS": str(grace), **extra}
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "server.log").open("wb") as log:  # what the server said, for a failure
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            stop(proc)


async def chat_with_slow_model(app, session, delay_ms: int) -> tuple[uuid.UUID, dict[str, str]]:
    """A chat of alice's on a local model that pauses `delay_ms` between words (its ID); her
    headers."""
    org, alice = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=alice)
    model = await make_model(session, organization=org, config={"delay_ms": delay_ms})
    chat = await make_chat_session(session, user=alice, model=model)
    await session.commit()
    return chat.id, await bearer_headers(app, session, alice)


async def socket(base_url: str, protocol: str, headers: dict[str, str], chat: uuid.UUID
                 ) -> ClientConnection:
    """A socket of `protocol` subscribed to the chat's reply stream."""
    ws = await connect(base_url.replace("http://", "ws://") + "/graphql",
                       subprotocols=[protocol])  # type: ignore[list-item]
    await ws.send(orjson.dumps({"type": "connection_init",
                                "payload": {"Authorization": headers["authorization"]}}).decode())
    assert orjson.loads(await asyncio.wait_for(ws.recv(), 20))["type"] == "connection_ack"
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    await ws.send(orjson.dumps({"id": "1", "type": start, "payload": {
        "query": STREAM, "variables": {"id": to_base64("ChatSession", chat)}}}).decode())
    return ws


async def next_event(ws: ClientConnection) -> dict[str, Any]:
    """The next chatMessageStream event on either protocol's socket."""
    while True:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 20))
        if message["type"] in ("next", "data"):
            return message["payload"]["data"]["chatMessageStream"]
        assert message["type"] == "ka", message  # graphql-ws keep-alive


async def until_delta(ws: ClientConnection) -> None:
    while (await next_event(ws))["__typename"] != "ChatTokenDelta":
        pass


async def close_code(ws: ClientConnection) -> int:
    """The code the server closed the socket with; events sent before it are skipped."""
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(20):
            while True:
                event = await next_event(ws)
                assert event["__typename"] == "ChatTokenDelta", event  # the reply is not over
    assert closed.value.rcvd is not None, "the server sent no close frame"
    return closed.value.rcvd.code


async def send(base_url: str, headers: dict[str, str], chat: uuid.UUID) -> uuid.UUID:
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        response = await http.post("/graphql", json={"query": SEND, "variables": {"input": {
            "sessionId": to_base64("ChatSession", chat), "content": "Stop me"}}})
    payload = response.json()["data"]["sendMessage"]
    assert payload["userErrors"] == [], payload
    return uuid.UUID(from_base64(payload["replyMessageId"])[1])


def exit_time(proc: subprocess.Popen[bytes], signalled: float, limit: float) -> float:
    proc.wait(timeout=limit)
    return time.monotonic() - signalled


async def test_sigterm_closes_sockets_with_1001_and_a_reply_past_the_grace_fails(
        app, settings, db, session, tmp_path) -> None:
    # given a server with a grace of 3 s streaming a reply that needs about 30 s, watched by
    # a socket of each protocol
    grace = 3.0
    chat, headers = await chat_with_slow_model(app, session, delay_ms=1000)
    with serving(settings, tmp_path, grace) as (url, proc):
        sockets = [await socket(url, protocol, headers, chat)
                   for protocol in ("graphql-transport-ws", "graphql-ws")]
        reply_id = await send(url, headers, chat)
        for ws in sockets:
            await until_delta(ws)

        # when the server is told to stop in the middle of the reply
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        # then both sockets are closed as going away while the reply still streams
        assert [await close_code(ws) for ws in sockets] == [1001, 1001]
        # and the process exits once the grace period is over, long before the reply would end
        assert exit_time(proc, signalled, limit=grace + 20) < grace + 10

    # and the reply is stored as failed, with the reason, after running through the grace
    session.expire_all()
    assert await session.get(ChatMessage, reply_id) is None
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    assert (usage.status, usage.error_message) == ("cancelled", CANCELLED)
    assert usage.metadata_["message_id"] == str(reply_id)
    assert usage.duration_ms >= grace * 1000
    redis = Redis.from_url(settings.redis_url)
    try:  # and it is no longer replayed as streaming
        assert await redis.smembers(replies_key(chat)) == set()
    finally:
        await redis.aclose()


async def test_a_reply_within_the_grace_finishes_and_reaches_a_client_that_reconnected(
        app, settings, db, session, tmp_path) -> None:
    # given two servers, and a reply of about 3 s streaming from the first to a socket on it
    chat, headers = await chat_with_slow_model(app, session, delay_ms=100)
    with serving(settings, tmp_path / "a", 30) as (url, proc), \
            serving(settings, tmp_path / "b", 30) as (other_url, _):
        ws = await socket(url, "graphql-transport-ws", headers, chat)
        reply_id = await send(url, headers, chat)
        await until_delta(ws)

        # when the first server is told to stop
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        # then its socket is closed as going away before the reply is complete
        assert await close_code(ws) == 1001
        # and the client, reconnecting to the other server, sees the reply complete
        elsewhere = await socket(other_url, "graphql-transport-ws", headers, chat)
        async with asyncio.timeout(30):
            while (event := await next_event(elsewhere))["__typename"] != "ChatMessageCompleted":
                assert event["__typename"] in ("ChatMessageStarted", "ChatTokenDelta"), event
        await elsewhere.close()
        # and the first process exits once the reply is stored, within the grace period
        assert exit_time(proc, signalled, limit=40) < 30

    # and the reply is stored whole, as the client saw it
    session.expire_all()
    stored = await session.get(ChatMessage, reply_id)
    assert stored is not None and stored.content == event["message"]["content"]
    assert to_base64("ChatMessage", reply_id) == event["message"]["id"]
    assert stored.content.startswith("You said: “Stop me”")
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    assert usage.status == "success"


async def test_sigterm_ends_event_streams_with_a_word_and_does_not_wait_for_them(
        app, settings, db, session, tmp_path) -> None:
    # given a server with a long grace, and a subscription streamed over SSE that is waiting
    grace = 30.0
    chat, headers = await chat_with_slow_model(app, session, delay_ms=0)
    with serving(settings, tmp_path, grace) as (url, proc):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http, aconnect_sse(
                http, "POST", "/graphql", headers={**headers, "accept": "text/event-stream"},
                json={"query": STREAM, "variables": {"id": to_base64("ChatSession", chat)}}
        ) as source:
            events = source.aiter_sse()
            await subscribed_processes(settings.redis_url, chat, 1)

            # when the server is told to stop
            proc.send_signal(signal.SIGTERM)
            signalled = time.monotonic()

            # then the stream ends with an error telling the client to subscribe again
            last, end = await anext(events), await anext(events)
        assert (last.event, end.event) == ("next", "complete")
        assert orjson.loads(last.data)["errors"][0]["extensions"]["code"] == (
            "SERVICE_UNAVAILABLE")
        # and the process exits without waiting out the grace period for the stream
        assert exit_time(proc, signalled, limit=grace + 20) < grace / 2
