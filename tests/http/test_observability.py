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
from starlette.applications import Starlette
from strawberry.relay import to_base64

from app.embedded import EmbeddedServices
from app.main import create_app
from services.logs import REQUESTS
from tests.factories.identity import make_organization

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
    names = set(metrics._names)
    try:
        for n in range(metrics.MAX_OPERATION_NAMES + 5):
            metrics.operation_label(f"Filler{n}")  # what many distinct clients leave behind

        await member.post("/graphql", json={"query": "query BrandNewName { viewer { id } }"})
    finally:  # the names later tests send are labels again
        metrics._names.clear()
        metrics._names.update(names)

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


async def test_a_known_query_is_counted_by_its_documents_name_unsent(
        client, session, member_client) -> None:
    org = await make_organization(session)
    await session.commit()
    member = await member_client(org)
    query = "query Unsent { organizations(first: 3) { edges { node { slug } } } }"
    before = await counts(client)
    known_before = planner_count((await client.get("/metrics")).text, "known")

    for _ in range(2):  # planned, then known: neither request says operationName
        assert "errors" not in (await member.post("/graphql", json={"query": query})).json()

    after = await counts(client)
    key = labels("query", "Unsent", "ok")
    assert after.get(key, 0) - before.get(key, 0) == 2
    assert planner_count((await client.get("/metrics")).text, "known") == known_before + 1
