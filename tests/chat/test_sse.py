"""chatMessageStream over server-sent events (graphql-sse, distinct connections mode) with a
real SSE client against a server process: the same events as over websockets, ending with
the stored message; the same bearer authentication as any GraphQL request; queries still
answered as JSON."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from httpx_sse import aconnect_sse
from sqlalchemy import select

from db.models import ChatMessage
from tests.chat.conftest import gid
from tests.chat.test_streaming import ENDS, STREAM, check_stream, send, slow_chat, subscribers_of
from tests.servers import app_servers


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    with app_servers(settings) as (url,):
        yield url


async def events_until_end(url: str, headers: dict[str, str], chat_id: str,
                           started: asyncio.Event) -> list[dict[str, Any]]:
    """The stream's `next` events up to the end of the next reply, read by httpx-sse."""
    events: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http, \
            aconnect_sse(http, "POST", "/graphql", json={
                "query": STREAM, "variables": {"id": chat_id}}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        started.set()
        async for sse in source.aiter_sse():
            assert sse.event == "next", sse
            payload = orjson.loads(sse.data)
            assert "errors" not in payload, payload
            event = payload["data"]["chatMessageStream"]
            events.append(event)
            if event["__typename"] in ENDS:
                return events
    raise AssertionError("the stream ended before the reply")


async def test_a_reply_streams_over_sse_and_equals_the_stored_message(
    server, session, world, redis_url
) -> None:
    chat = await slow_chat(session, world)
    alice, chat_id = world.headers["alice"], gid("ChatSession", chat)
    started = asyncio.Event()

    reading = asyncio.create_task(events_until_end(server, alice, chat_id, started))
    await asyncio.wait_for(started.wait(), 20)
    await subscribers_of(redis_url, chat.id, 1)
    sent = await send(server, alice, chat, "Stream me over SSE")
    events = await asyncio.wait_for(reading, 30)

    content = check_stream(events, sent["replyMessageId"], sent["message"]["id"])
    stored = (await session.execute(select(ChatMessage).where(
        ChatMessage.role == "assistant"))).scalar_one()
    assert events[-1]["message"]["content"] == stored.content == content
    assert events[-1]["message"]["id"] == gid("ChatMessage", stored)


async def test_sse_needs_the_same_authentication_as_any_request(server, world) -> None:
    chat_query = {"query": STREAM, "variables": {"id": "Q2hhdFNlc3Npb246MA=="}}
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        refused = await http.post("/graphql", json=chat_query, headers={
            "accept": "text/event-stream", "authorization": "Bearer not-a-token"})
        query = await http.post("/graphql", json={"query": "{ __typename }"},
                                headers=world.headers["alice"])
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "TOKEN_INVALID"
    assert query.json() == {"data": {"__typename": "Query"}}
