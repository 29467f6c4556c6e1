"""What operators read: /metrics counts every GraphQL request whichever way it was answered
(a plan, the known-query door, strawberry), the request log has one line per request with
the operation and the caller and never a token, and the probes tell liveness from readiness."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import select
from starlette.applications import Starlette
from strawberry.relay import to_base64

from app.embedded import EmbeddedServices
from app.main import create_app
from db.models import ChatMessage
from services.logs import REQUESTS
from services.pubsub import PubSub, SlowSubscriber
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
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

FLAT = "query Flat { organizations(first: 5) { edges { node { slug } } } }"
VIEWER = "query Me { viewer { username } }"
RENAME = """mutation Rename($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { userErrors { code } } }"""


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of one metric family, by their labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def counts(client: httpx.AsyncClient) -> dict[tuple[tuple[str, str], ...], float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text, "aiplatform_graphql_requests_total")


def labels(operation_type: str, name: str, outcome: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"operation_type": operation_type, "operation_name": name,
                         "outcome": outcome}.items()))


def planner_count(text: str, outcome: str) -> float:
    return samples(text, "aiplatform_planner_requests_total").get(
        tuple(sorted({"outcome": outcome, "reason": ""}.items())), 0.0)


async def test_metrics_count_planned_known_and_strawberry_answers_alike(
        client, session, member_client) -> None:
    org = await make_organization(session)
    await session.commit()
    member = await member_client(org)
    before = await counts(client)
    planner_before = (await client.get("/metrics")).text

    first = await member.post("/graphql", json={"query": FLAT, "operationName": "Flat"})
    again = await member.post("/graphql", json={"query": FLAT, "operationName": "Flat"})
    viewer = await member.post("/graphql", json={"query": VIEWER})
    refused = await client.post("/graphql", json={"query": FLAT},
                                headers={"authorization": "Bearer not-a-token"})
    broken = await member.post("/graphql", json={"query": "{ organizations { nope } }"})

    after = await counts(client)
    planner_after = (await client.get("/metrics")).text
    assert first.json() == again.json() and "errors" not in first.json()
    assert viewer.json()["data"]["viewer"]["username"]
    assert refused.status_code == 401
    assert "errors" in broken.json()

    def grew(key: tuple[tuple[str, str], ...]) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew(labels("query", "Flat", "ok")) == 2  # planned, then known
    assert grew(labels("query", "Me", "ok")) == 1  # strawberry's
    assert grew(labels("unknown", "", "refused")) == 1
    assert grew(labels("query", "", "error")) == 1
    assert planner_count(planner_after, "planned") - planner_count(planner_before, "planned") == 2
    assert planner_count(planner_after, "known") - planner_count(planner_before, "known") == 1
    histogram = samples((await client.get("/metrics")).text,
                        "aiplatform_graphql_request_duration_seconds_count")
    assert histogram[labels("query", "Flat", "ok")] >= 2


async def test_a_mutation_is_counted_with_its_type(client, session, member_client) -> None:
    org = await make_organization(session, slug="acme")
    await session.commit()
    owner = await member_client(org, role="owner")
    before = await counts(client)

    answer = await owner.post("/graphql", json={"query": RENAME, "variables": {"input": {
        "id": to_base64("Organization", org.id), "name": "Acme 2"}}})

    assert answer.json()["data"]["updateOrganization"]["userErrors"] == []
    after = await counts(client)
    key = labels("mutation", "Rename", "ok")
    assert after.get(key, 0) - before.get(key, 0) == 1


async def test_operation_names_are_bounded_labels(client, session, member_client) -> None:
    org = await make_organization(session)
    await session.commit()
    member = await member_client(org)
    from services import metrics
    for n in range(metrics.MAX_OPERATION_NAMES + 5):
        metrics.operation_label(f"Filler{n}")  # what many distinct clients would leave behind

    await member.post("/graphql", json={"query": "query BrandNewName { viewer { id } }"})

    text = (await client.get("/metrics")).text
    assert 'operation_name="BrandNewName"' not in text
    assert samples(text, "aiplatform_graphql_requests_total").get(
        labels("query", "other", "ok"), 0) >= 1


@pytest.fixture
async def guarded(settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose /metrics asks for a token (no lifespan: /metrics needs no pool)."""
    application = create_app(settings.model_copy(
        update={"metrics_token": SecretStr("scrape-token-123")}))
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_metrics_token_is_asked_when_set(guarded) -> None:
    missing = await guarded.get("/metrics")
    wrong = await guarded.get("/metrics", headers={"authorization": "Bearer nope"})
    right = await guarded.get("/metrics", headers={"authorization": "Bearer scrape-token-123"})

    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert right.status_code == 200 and "aiplatform_graphql_requests_total" in right.text


async def test_one_log_line_per_request_with_operation_and_caller_never_the_token(
        client, session, member_client, caplog: pytest.LogCaptureFixture) -> None:
    org = await make_organization(session)
    await session.commit()
    member = await member_client(org)
    token = member.headers["authorization"].removeprefix("Bearer ")
    caplog.set_level(logging.INFO, logger=REQUESTS)

    await member.post("/graphql", json={"query": FLAT, "operationName": "Flat"},
                      headers={"x-request-id": "req-42"})
    await client.get("/livez")

    records = [r for r in caplog.records if r.name == REQUESTS]
    assert [(r.method, r.path, r.status) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/graphql", 200), ("GET", "/livez", 200)]
    graphql = records[0]
    assert graphql.request_id == "req-42"  # type: ignore[attr-defined]
    assert graphql.operation_name == "Flat"  # type: ignore[attr-defined]
    assert graphql.user_id is not None and graphql.duration_ms > 0  # type: ignore[attr-defined]
    assert records[1].request_id and records[1].user_id is None  # type: ignore[attr-defined]
    assert all(token not in str(vars(r)) for r in records)


async def test_livez_needs_nothing_and_readyz_asks_both_services(client, app) -> None:
    live = await client.get("/livez")
    ready = await client.get("/readyz")
    health = await client.get("/healthz")

    assert live.json() == {"status": "ok"}
    assert ready.status_code == health.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"postgresql": "ok", "redis": "ok"}}


async def test_readyz_is_503_while_redis_is_stopped_and_200_after(
        client, app: Starlette, tmp_path) -> None:
    """A redis-server of the test's own, stopped and started again under the running app."""
    servers = EmbeddedServices(tmp_path / "redis", postgres=False, redis=True)
    await asyncio.to_thread(servers.start)
    real = app.state.redis
    app.state.redis = Redis.from_url(servers.redis_url)
    try:
        up = await client.get("/readyz")
        await asyncio.to_thread(servers.stop)
        down = await client.get("/readyz")
        live = await client.get("/livez")
        await asyncio.to_thread(servers.start)
        back = await client.get("/readyz")
    finally:
        await app.state.redis.aclose()
        app.state.redis = real
        await asyncio.to_thread(servers.stop)

    assert up.status_code == 200 and back.status_code == 200
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "unavailable" and body["checks"]["postgresql"] == "ok"
    assert body["checks"]["redis"] != "ok"
    assert live.status_code == 200


@pytest.fixture
async def limited(settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app allowing 1 anonymous request a minute per IP."""
    application = create_app(settings.model_copy(update={"rate_limit_per_minute_ip": 1}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("10.9.8.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_rate_limit_refusals_are_counted(limited, db) -> None:
    def refusals(text: str) -> float:
        return samples(text, "aiplatform_rate_limit_refusals_total").get(
            (("transport", "http"),), 0.0)

    before = (await limited.get("/metrics")).text
    answers = [await limited.post("/graphql", json={"query": "{ __typename }"})
               for _ in range(3)]
    after = (await limited.get("/metrics")).text

    assert [a.status_code for a in answers] == [200, 429, 429]
    assert refusals(after) - refusals(before) == 2
    refused = labels("unknown", "", "refused")
    grew = (samples(after, "aiplatform_graphql_requests_total").get(refused, 0)
            - samples(before, "aiplatform_graphql_requests_total").get(refused, 0))
    assert grew == 2


async def test_the_grafana_dashboard_reads_metrics_the_server_exports(client) -> None:
    dashboard = (Path(__file__).parents[2] / "docs" / "grafana-dashboard.json").read_text()
    used = set(re.findall(r"aiplatform_[a-z_]+", dashboard))
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                "gauge": ("",)}
    exported = {family.name + suffix  # (a labelled metric has samples once it is used)
                for family in text_string_to_metric_families((await client.get("/metrics")).text)
                for suffix in suffixes.get(family.type, ())}

    assert used and used <= exported, used - exported


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
    async with db._pool.acquire(), db.engine.connect() as orm:
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
    bus's connection: the reader counts the error, resubscribes and delivers again."""
    servers = EmbeddedServices(tmp_path / "redis", postgres=False, redis=True)
    await asyncio.to_thread(servers.start)
    redis = Redis.from_url(servers.redis_url)
    bus = PubSub(redis)
    before = (await client.get("/metrics")).text
    try:
        async with bus.subscribe("metrics-cut") as sub:
            assert await redis.client_kill_filter(_type="pubsub") == 1
            assert await numsub_becomes(redis, "metrics-cut", 1) == 1  # subscribed again
            await redis.publish("metrics-cut", b'{"after": "the cut"}')
            async with asyncio.timeout(TIMEOUT):
                assert await anext(sub) == {"after": "the cut"}
    finally:
        await bus.close()
        await redis.aclose()
        await asyncio.to_thread(servers.stop)
    after = (await client.get("/metrics")).text

    key = (("component", "pubsub"),)
    errors = [samples(text, "aiplatform_redis_errors_total").get(key, 0.0)
              for text in (before, after)]
    assert errors[1] - errors[0] == 1
