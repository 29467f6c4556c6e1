"""Subscriptions over server-sent events (GraphQL over SSE, distinct connections): a chat reply
streamed to a real SSE client (httpx-sse) through a server process equals the stored message,
with the same authentication and scoping as over websockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
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

SSE = {"accept": "text/event-stream"}


@pytest.fixture(scope="module")
def api(settings) -> AsyncIterator[str]:
    with app_servers(settings, AIPLATFORM_RATE_LIMIT_ENABLED="false") as (url,):
        yield url


async def sse_events(http: httpx.AsyncClient, headers: dict[str, str], chat_id: str,
                     on_open: Any) -> list[tuple[str, dict[str, Any] | None]]:
    """(event, data) of one SSE subscription up to its first reply's end, or its end."""
    received: list[tuple[str, dict[str, Any] | None]] = []
    async with aconnect_sse(http, "POST", "/graphql", headers={**headers, **SSE},
                            json={"query": STREAM, "variables": {"id": chat_id}}) as source:
        assert source.response.status_code == 200
        assert source.response.headers["content-type"].startswith("text/event-stream")
        await on_open()
        async for event in source.aiter_sse():
            data = orjson.loads(event.data) if event.data else None
            received.append((event.event, data))
            if event.event == "complete" or (data and "errors" in data):
                break
            if data["data"]["chatMessageStream"]["__typename"] in ENDS:
                break
    return received


async def test_a_chat_reply_streams_over_sse_as_stored(api, settings, session, world) -> None:
    chat = await slow_chat(session, world)
    sent: dict[str, Any] = {}

    async def send_once_subscribed() -> None:
        await subscribers_of(settings.redis_url, chat.id, 1)
        sent.update(await send(api, world.headers["alice"], chat, "tell me over SSE"))

    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        received = await sse_events(http, world.headers["alice"], gid("ChatSession", chat),
                                    send_once_subscribed)

    assert {name for name, _ in received} == {"next"}
    events = [data["data"]["chatMessageStream"] for _, data in received]
    content = check_stream(events, sent["replyMessageId"], sent["message"]["id"])
    stored = await session.scalar(select(ChatMessage.content).where(
        ChatMessage.session_id == chat.id, ChatMessage.role == "assistant"))
    assert stored == content


async def test_another_users_chat_is_refused_over_sse(api, session, world) -> None:
    chat = await slow_chat(session, world)

    async def nothing() -> None:
        return None

    async with httpx.AsyncClient(base_url=api, timeout=30) as http:
        received = await sse_events(http, world.headers["olga"], gid("ChatSession", chat),
                                    nothing)
        # and without any credentials
        anonymous = await http.post("/graphql", headers=SSE, json={
            "query": STREAM, "variables": {"id": gid("ChatSession", chat)}})

    (name, data), *_ = received
    assert name == "next" and data["data"] is None
    assert data["errors"][0]["extensions"]["code"] == "NOT_FOUND"  # nothing tells it exists
    assert anonymous.headers["content-type"].startswith("text/event-stream")
    assert anonymous.text.startswith("event: next\r\ndata: ")
    first = orjson.loads(anonymous.text.split("\r\n")[1].removeprefix("data: "))
    assert first["data"] is None and first["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert anonymous.text.endswith("event: complete\r\ndata: \r\n\r\n")
