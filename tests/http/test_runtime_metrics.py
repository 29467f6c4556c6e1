"""Metrics of the server's moving parts, each made to happen for real: pub/sub deliveries and
dropped subscribers, the pools' connections, running subscriptions by field, chat replies'
tokens and time by provider, Redis errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from strawberry.relay import to_base64

from app.embedded import EmbeddedServices
from db.models import ChatMessage
from services.availability import ServiceUnavailable
from services.pubsub import PubSub, SlowSubscriber
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.http.test_observability import samples
from tests.system.live_server import (
    LEGACY_WS,
    POLL,
    TIMEOUT,
    TRANSPORT_WS,
    Server,
    connected,
    numsub_becomes,
    server,  # noqa: F401  (the fixture)
)


def total(text: str, name: str) -> float:
    """A metric without labels (0 before its first sample)."""
    return samples(text, name).get((), 0.0)


async def test_pubsub_deliveries_and_dropped_subscribers_are_counted(client, app) -> None:
    """A bus of its own with one-event queues over the app's Redis. Redis delivers one
    connection's messages in order, so once the marker arrives the reader has offered both
    events to the subscriber that never read: the first was delivered, the second dropped it."""
    bus = PubSub(app.state.redis, queue_size=1)
    before = (await client.get("/metrics")).text
    try:
        async with bus.subscribe("metrics-slow") as slow, bus.subscribe("metrics-mark") as mark:
            await bus.publish("metrics-slow", {"n": 1})
            await bus.publish("metrics-slow", {"n": 2})
            await bus.publish("metrics-mark", {"done": True})
            async with asyncio.timeout(10):
                assert await anext(mark) == {"done": True}
            with pytest.raises(SlowSubscriber):
                await anext(slow)
    finally:
        await bus.close()
    after = (await client.get("/metrics")).text

    def grew(name: str) -> float:
        return total(after, name) - total(before, name)

    assert grew("aiplatform_pubsub_events_delivered_total") == 2  # the first event, the marker
    assert grew("aiplatform_pubsub_subscribers_dropped_total") == 1


def connections(text: str, pool: str, state: str) -> float:
    return samples(text, "aiplatform_db_pool_connections")[
        tuple(sorted({"pool": pool, "state": state}.items()))]


async def test_pool_connections_in_use_are_read_at_scrape(client, db) -> None:
    before = (await client.get("/metrics")).text
    async with db.read_pool.acquire(), db.engine.connect() as orm:
        await orm.exec_driver_sql("SELECT 1")
        held = (await client.get("/metrics")).text
    after = (await client.get("/metrics")).text

    for pool in ("reads", "writes"):
        assert connections(held, pool, "in_use") == connections(before, pool, "in_use") + 1
        assert connections(after, pool, "in_use") == connections(before, pool, "in_use")
        assert connections(after, pool, "idle") >= 1  # the connection went back, still open


NOTIFICATIONS = "subscription Inbox { notifications { notification { title } } }"


async def active_becomes(live: Server, field: str, expected: float) -> float:
    """Scrape the server process until its gauge of `field` equals `expected` or a deadline
    passes (an operation's task ends after its socket said so); returns the last value."""
    async with httpx.AsyncClient(base_url=live.http, timeout=TIMEOUT) as http:
        for _ in range(int(TIMEOUT / POLL)):  # another process's state: nothing to await
            text = (await http.get("/metrics")).text
            value = samples(text, "aiplatform_subscriptions_active").get(
                (("field", field),), 0.0)
            if value == expected:
                break
            await asyncio.sleep(POLL)
    return value


async def test_running_subscriptions_are_counted_by_root_field(
        server: Server, app, session, redis) -> None:  # noqa: F811
    user = await make_user(session, username="ada")
    token = (await bearer_headers(app, session, user))["authorization"]
    channel = f"notifications:{user.id}"
    idle = await active_becomes(server, "notifications", 0)

    async with connected(server, TRANSPORT_WS, token) as modern, \
            connected(server, LEGACY_WS, token) as legacy:
        for socket in (modern, legacy):
            await socket.subscribe(NOTIFICATIONS, {})
        await numsub_becomes(redis, channel, 1)  # both operations run (and share one channel)
        running = await active_becomes(server, "notifications", 2)
        await modern.unsubscribe()
        one_left = await active_becomes(server, "notifications", 1)
        await modern.subscribe("query Q { __typename }", {}, id="2")  # not a subscription
        assert (await modern.next())["data"] == {"__typename": "Query"}
        still = await active_becomes(server, "notifications", 1)
    closed = await active_becomes(server, "notifications", 0)

    assert (idle, running, one_left, still, closed) == (0, 2, 1, 1, 0)


SEND = """mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { replyMessageId userErrors { code } } }"""


async def test_completed_chat_replies_count_tokens_and_time_by_provider(
        app, client, session) -> None:
    org, user = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=user)
    model = await make_model(session, organization=org, config={"delay_ms": 0})
    chat = await make_chat_session(session, user=user, model=model)
    await session.commit()
    headers = await bearer_headers(app, session, user)
    before = (await client.get("/metrics")).text

    answer = await client.post("/graphql", headers=headers, json={"query": SEND, "variables": {
        "input": {"sessionId": to_base64("ChatSession", chat.id), "content": "Hello there"}}})
    await app.state.generations.join()
    after = (await client.get("/metrics")).text

    assert answer.json()["data"]["sendMessage"]["userErrors"] == []
    reply = (await session.execute(select(ChatMessage).where(
        ChatMessage.role == "assistant"))).scalar_one()

    def grew(name: str, **labels: str) -> float:
        key = tuple(sorted({"provider": "local", **labels}.items()))
        return samples(after, name).get(key, 0.0) - samples(before, name).get(key, 0.0)

    assert grew("aiplatform_chat_tokens_total", kind="prompt") == reply.prompt_tokens > 0
    assert grew("aiplatform_chat_tokens_total", kind="completion") == reply.completion_tokens > 0
    assert grew("aiplatform_chat_reply_duration_seconds_count") == 1


async def test_a_pubsub_connection_cut_under_the_reader_is_counted_as_a_redis_error(
        client, tmp_path) -> None:
    """A redis-server of the test's own, so that killing its pub/sub clients cuts only this
    bus's connection: the reader counts the error, the subscriber is told (events may have
    been missed), and a new subscription delivers again."""
    servers = EmbeddedServices(tmp_path / "redis", postgres=False, redis=True)
    await asyncio.to_thread(servers.start)
    redis = Redis.from_url(servers.redis_url)
    bus = PubSub(redis)
    before = (await client.get("/metrics")).text
    try:
        async with bus.subscribe("metrics-cut") as sub:
            assert await redis.client_kill_filter(_type="pubsub") == 1
            with pytest.raises(ServiceUnavailable):
                async with asyncio.timeout(TIMEOUT):
                    await anext(sub)
        async with bus.subscribe("metrics-cut") as again:
            assert await numsub_becomes(redis, "metrics-cut", 1) == 1
            await redis.publish("metrics-cut", b'{"after": "the cut"}')
            async with asyncio.timeout(TIMEOUT):
                assert await anext(again) == {"after": "the cut"}
    finally:
        await bus.close()
        await redis.aclose()
        await asyncio.to_thread(servers.stop)
    after = (await client.get("/metrics")).text

    key = (("component", "pubsub"),)
    errors = [samples(text, "aiplatform_redis_errors_total").get(key, 0.0)
              for text in (before, after)]
    assert errors[1] - errors[0] == 1
