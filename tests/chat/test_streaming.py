"""chatMessageStream over real websockets (graphql-transport-ws) against two server processes
sharing PostgreSQL and Redis, as in production: what one process generates, subscribers of
both receive, in order, and it matches what is stored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from app.main import create_app
from db.models import ChatMessage, ModelUsageLog
from services.pubsub import chat_channel
from tests.chat.conftest import gid
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.servers import app_servers

STREAM = """
subscription ($id: ID!, $after: Int) {
  chatMessageStream(sessionId: $id, afterSequence: $after) {
    __typename
    ... on ChatMessageStarted { messageId parentMessageId }
    ... on ChatTokenDelta { messageId index delta }
    ... on ChatMessageCompleted {
      message { id role content sequenceNumber promptTokens completionTokens totalTokens
                parent { id } }
    }
    ... on ChatMessageFailed { messageId error }
  }
}"""
SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id } replyMessageId userErrors { code } }
}"""
ENDS = ("ChatMessageCompleted", "ChatMessageFailed")


@pytest.fixture(scope="module")
def servers(settings) -> Iterator[list[str]]:
    """Two API server processes on the test database and Redis; their base URLs."""
    with app_servers(settings, 2, AIPLATFORM_RATE_LIMIT_ENABLED="false") as urls:
        yield urls


class Subscriber:
    """One graphql-transport-ws connection with one subscription on it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    async def message(self) -> dict[str, Any]:
        return orjson.loads(await asyncio.wait_for(self.ws.recv(), 20))

    async def until_end(self) -> list[dict[str, Any]]:
        """Events up to and including the next completed or failed reply."""
        async with asyncio.timeout(30):
            while True:
                event = await self.next_event()
                if event["__typename"] in ENDS:
                    return self.events

    async def next_event(self) -> dict[str, Any]:
        message = await self.message()
        assert message["type"] == "next" and "errors" not in message["payload"], message
        event = message["payload"]["data"]["chatMessageStream"]
        self.events.append(event)
        return event


@asynccontextmanager
async def subscribed(base_url: str, headers: dict[str, str], chat_id: str,
                     after: int | None = None) -> AsyncIterator[Subscriber]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": headers["authorization"]} if headers else {}
        await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
        sub = Subscriber(ws)
        assert (await sub.message())["type"] == "connection_ack"
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": STREAM, "variables": {"id": chat_id, "after": after}}}).decode())
        yield sub


async def subscribers_of(redis_url: str, chat_id: uuid.UUID, count: int) -> None:
    """Wait until `count` processes hold a Redis subscription to the chat's channel."""
    redis, channel = Redis.from_url(redis_url), chat_channel(chat_id)
    try:
        for _ in range(400):
            if dict(await redis.pubsub_numsub(channel))[channel.encode()] >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{count} subscribers of {channel} expected")
    finally:
        await redis.aclose()


async def send(base_url: str, headers: dict[str, str], chat, content: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        response = await http.post("/graphql", json={"query": SEND, "variables": {"input": {
            "sessionId": gid("ChatSession", chat), "content": content}}})
    payload = response.json()["data"]["sendMessage"]
    assert payload["userErrors"] == [], payload
    return payload


async def slow_chat(session, world, delay_ms: int = 5):
    model = await make_model(session, organization=world.acme, name=f"local-{delay_ms}",
                             config={"delay_ms": delay_ms})
    chat = await make_chat_session(session, user=world.alice, model=model)
    await session.commit()
    return chat


def check_stream(events: list[dict[str, Any]], reply_id: str, parent_id: str) -> str:
    """A well-formed reply stream: started, deltas 0..n-1, completed; returns the content."""
    started, *deltas, completed = events
    assert started == {"__typename": "ChatMessageStarted", "messageId": reply_id,
                       "parentMessageId": parent_id}
    assert [d["__typename"] for d in deltas] == ["ChatTokenDelta"] * len(deltas)
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    assert {d["messageId"] for d in deltas} == {reply_id}
    assert completed["__typename"] == "ChatMessageCompleted"
    content = "".join(d["delta"] for d in deltas)
    assert completed["message"]["content"] == content and len(deltas) > 10
    return content


async def test_two_processes_stream_the_same_reply_that_is_then_stored(
    servers, session, world, redis_url
) -> None:
    # given a subscriber on each server process
    chat = await slow_chat(session, world)
    alice = world.headers["alice"]
    async with subscribed(servers[0], alice, gid("ChatSession", chat)) as first, \
            subscribed(servers[1], alice, gid("ChatSession", chat)) as second:
        await subscribers_of(redis_url, chat.id, 2)

        # when alice sends one message to the first process
        sent = await send(servers[0], alice, chat, "Tell me about streams")
        first_events, second_events = await asyncio.gather(first.until_end(),
                                                           second.until_end())

    # then both received the same full stream, in order
    assert first_events == second_events
    content = check_stream(first_events, sent["replyMessageId"], sent["message"]["id"])
    # and the completed message is the stored one
    stored = (await session.execute(select(ChatMessage).where(
        ChatMessage.role == "assistant"))).scalar_one()
    assert first_events[-1]["message"] == {
        "id": gid("ChatMessage", stored), "role": "ASSISTANT", "content": stored.content,
        "sequenceNumber": 2, "promptTokens": stored.prompt_tokens,
        "completionTokens": stored.completion_tokens, "totalTokens": stored.total_tokens,
        "parent": {"id": sent["message"]["id"]}}
    assert stored.content == content
    assert content.startswith("You said: “Tell me about streams”")


async def test_a_subscriber_joining_mid_reply_gets_it_from_the_start(
    servers, session, world, redis_url
) -> None:
    chat = await slow_chat(session, world, delay_ms=40)
    alice, chat_id = world.headers["alice"], gid("ChatSession", chat)
    async with subscribed(servers[0], alice, chat_id) as early:
        await subscribers_of(redis_url, chat.id, 1)
        sent = await send(servers[0], alice, chat, "Late joiners")
        while len(early.events) < 6:  # the reply is under way
            await early.next_event()

        # when a second client subscribes on the other process
        async with subscribed(servers[1], alice, chat_id) as late:
            early_events, late_events = await asyncio.gather(early.until_end(),
                                                             late.until_end())

    # then it still gets the whole reply from its first piece, exactly once
    assert late_events == early_events
    check_stream(late_events, sent["replyMessageId"], sent["message"]["id"])


async def test_reconnecting_replays_stored_replies_after_the_given_sequence(
    servers, session, world, redis_url
) -> None:
    chat = await slow_chat(session, world, delay_ms=0)
    alice, chat_id = world.headers["alice"], gid("ChatSession", chat)
    # given a reply that completed while nobody listened
    async with subscribed(servers[1], alice, chat_id) as witness:
        await subscribers_of(redis_url, chat.id, 1)
        sent = await send(servers[0], alice, chat, "While you were away")
        await witness.until_end()

    # when clients subscribe from the start, and from after that reply
    async with subscribed(servers[1], alice, chat_id) as from_start, \
            subscribed(servers[0], alice, chat_id, after=2) as caught_up:
        replayed = await from_start.next_event()
        await subscribers_of(redis_url, chat.id, 2)
        second = await send(servers[1], alice, chat, "Back again")
        live = await caught_up.until_end()
        rest = await from_start.until_end()

    # then the first gets the stored reply first, the second only the new one
    assert replayed == witness.events[-1]
    assert replayed["message"]["id"] == sent["replyMessageId"]
    assert rest == [replayed, *live]
    check_stream(live, second["replyMessageId"], second["message"]["id"])
    assert live[-1]["message"]["sequenceNumber"] == 4


async def test_subscriptions_are_scoped_like_queries(servers, session, world) -> None:
    chat = await slow_chat(session, world)
    chat_id = gid("ChatSession", chat)
    answers = {}
    for who in ("olga", "anonymous"):
        headers = world.headers.get(who, {})
        async with subscribed(servers[0], headers, chat_id) as sub:
            answers[who] = [await sub.message(), await sub.message()]
    async with subscribed(servers[1], world.headers["vera"], chat_id) as viewer:
        await send(servers[0], world.headers["alice"], chat, "Readers may listen")
        viewed = await viewer.until_end()

    refusal = [{"id": "1", "type": "next", "payload": {"data": None, "errors": [{
        "message": "sessionId: no such chat session",
        "extensions": {"code": "NOT_FOUND", "field": "sessionId"}}]}},
               {"id": "1", "type": "complete"}]
    assert answers == {"olga": refusal, "anonymous": refusal}
    assert viewed[-1]["__typename"] == "ChatMessageCompleted"


async def test_shutdown_cancels_a_reply_and_says_so(app, settings, session, world) -> None:
    # given a second app (a process about to stop) streaming a slow reply
    chat = await slow_chat(session, world, delay_ms=300)
    other = create_app(settings)
    async with app.state.pubsub.subscribe(chat_channel(chat.id)) as channel:
        async with other.router.lifespan_context(other):
            transport = httpx.ASGITransport(app=other)
            async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                         headers=world.headers["alice"]) as http:
                await http.post("/graphql", json={"query": SEND, "variables": {"input": {
                    "sessionId": gid("ChatSession", chat), "content": "Stop me"}}})
            assert (await asyncio.wait_for(anext(channel), 10))["type"] == "started"
            assert (await asyncio.wait_for(anext(channel), 10))["type"] == "delta"
        # when it shuts down (a piece may still have been under way)
        while (event := await asyncio.wait_for(anext(channel), 10))["type"] == "delta":
            pass

    # then the reply ended as failed, with a usage row, and nothing half-stored
    assert event == {"type": "failed", "messageId": event["messageId"], "error":
                     "The server stopped before the reply was complete; regenerate it"}
    assert len(other.state.generations) == 0
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    assert usage.status == "cancelled"
    assert (await session.scalars(select(ChatMessage.role))).all() == ["user"]
