"""Redis stopped under a running server, then started again: requests are still answered
(tokens checked against PostgreSQL, rate limits unchecked), subscribers are told with
SERVICE_UNAVAILABLE instead of hanging, the reply being generated is stored, and once Redis
is back everything works again without a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
import redis.exceptions
from websockets.asyncio.client import ClientConnection, connect

from services.availability import SERVICE_UNAVAILABLE
from tests.faults.conftest import Member, Stack, codes, frame, make_member, post, ready_is, until
from tests.http.test_observability import samples

QUERY = "{ viewer { username } organizations(first: 5) { edges { node { name } } } }"
STREAM = """
subscription ($id: ID!, $after: Int) {
  chatMessageStream(sessionId: $id, afterSequence: $after) {
    __typename
    ... on ChatTokenDelta { index }
    ... on ChatMessageCompleted { message { id content } }
  }
}"""
SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { replyMessageId userErrors { code } }
}"""
NODE = "query ($id: ID!) { node(id: $id) { ... on ChatMessage { role content } } }"


@asynccontextmanager
async def subscribed(base_url: str, member: Member, after: int | None = None
                     ) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws socket, acknowledged, with one chatMessageStream on it."""
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {
            "Authorization": member.headers["authorization"]}}).decode())
        assert (await frame(ws))["type"] == "connection_ack"
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": STREAM, "variables": {"id": member.chat_id, "after": after}}}).decode())
        yield ws


async def until_ended(ws: ClientConnection) -> list[dict[str, Any]]:
    """The socket's frames up to the end of its operation (`complete` or `error`)."""
    frames = []
    while not frames or frames[-1]["type"] not in ("complete", "error"):
        frames.append(await frame(ws))
    return frames


def error_codes(frames: list[dict[str, Any]]) -> list[str]:
    """The codes of the errors the frames carry (in `next` payloads or `error` frames)."""
    found: list[str] = []
    for message in frames:
        payload = message.get("payload")
        if message["type"] == "next":
            found += codes(payload)
        elif message["type"] == "error":
            found += codes({"errors": payload})
    return found


async def redis_errors(base_url: str, component: str) -> float:
    async with httpx.AsyncClient(base_url=base_url) as http:
        text = (await http.get("/metrics")).text
    return samples(text, "aiplatform_redis_errors_total").get(
        (("component", component),), 0.0)


async def test_requests_are_answered_while_redis_is_down(stack: Stack, server: str,
                                                         sessionmaker) -> None:
    # given a signed-in member whose query is answered
    member = await make_member(stack, sessionmaker)
    answered = await post(server, QUERY, member.headers)
    assert answered.status_code == 200 and "errors" not in answered.json(), answered.text
    unchecked = await redis_errors(server, "ratelimit")

    # when Redis stops
    await stack.stop_redis()
    await until(lambda: ready_is(server, 503), "/readyz says 503 without Redis")

    # then signed-in requests (each authenticated afresh) get the same answer, one after
    # another (the breaker refuses its connects at once), and anonymous ones too
    for _ in range(5):
        again = await post(server, QUERY, member.headers)
        assert (again.status_code, again.json()) == (200, answered.json())
    assert (await post(server, "{ __typename }")).json() == {"data": {"__typename": "Query"}}
    # and the rate limit let them through unchecked, counted
    assert await redis_errors(server, "ratelimit") >= unchecked + 6

    # and once Redis is back, the server is ready again without a restart
    await stack.start_redis()
    await until(lambda: ready_is(server, 200), "/readyz says 200 with Redis back")
    assert (await post(server, QUERY, member.headers)).json() == answered.json()


async def test_a_streaming_reply_outlives_redis_and_its_subscriber_is_told(
        stack: Stack, server: str, sessionmaker) -> None:
    # given a subscriber of a chat whose reply is streaming
    member = await make_member(stack, sessionmaker, delay_ms=100)
    async with subscribed(server, member) as ws:
        sent = (await post(server, SEND, member.headers, {"input": {
            "sessionId": member.chat_id, "content": "Keep going"}})).json()
        assert sent["data"]["sendMessage"]["userErrors"] == [], sent
        reply_id = sent["data"]["sendMessage"]["replyMessageId"]
        first = [await frame(ws) for _ in range(3)]  # started, then two pieces
        assert [f["payload"]["data"]["chatMessageStream"]["__typename"] for f in first] == [
            "ChatMessageStarted", "ChatTokenDelta", "ChatTokenDelta"]

        # when Redis stops under it
        await stack.stop_redis()

        # then the subscriber is told, with the code, and its stream ends
        told = await until_ended(ws)
    assert error_codes(told) == [SERVICE_UNAVAILABLE], told
    assert told[-1]["type"] in ("complete", "error")

    # and the reply is stored complete all the same, while Redis is still down
    async def stored() -> dict[str, Any] | None:
        node = (await post(server, NODE, member.headers, {"id": reply_id})).json()
        return node["data"]["node"]

    reply = await until(stored, "the reply is stored")
    assert reply["role"] == "ASSISTANT"
    assert reply["content"].startswith("You said: “Keep going”")

    # and a new subscription is refused with the code, not left hanging
    async with subscribed(server, member) as refused:
        assert error_codes(await until_ended(refused)) == [SERVICE_UNAVAILABLE]

    # when Redis is back, a new subscription works and replays the stored reply
    await stack.start_redis()
    await until(lambda: ready_is(server, 200), "/readyz says 200 with Redis back")
    async with subscribed(server, member, after=0) as again:
        replayed = (await frame(again))["payload"]["data"]["chatMessageStream"]
    assert replayed == {"__typename": "ChatMessageCompleted",
                        "message": {"id": reply_id, "content": reply["content"]}}


@pytest.mark.parametrize("fail_closed", [False, True])
async def test_the_rate_limit_fails_open_unless_told_to_fail_closed(
        app, client, monkeypatch, fail_closed: bool) -> None:
    # given a rate limiter whose Redis is unreachable
    async def unreachable(*args: Any, **kwargs: Any) -> None:
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr("services.ratelimit.RateLimiter.hit", unreachable)
    monkeypatch.setattr(app.state.settings, "rate_limit_fail_closed", fail_closed)

    # when an anonymous request comes
    answer = await client.post("/graphql", json={"query": "{ __typename }"})

    # then it is let through, or refused as an outage with Retry-After
    if fail_closed:
        assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
        assert codes(answer.json()) == [SERVICE_UNAVAILABLE]
    else:
        assert (answer.status_code, answer.json()) == (200, {"data": {"__typename": "Query"}})
