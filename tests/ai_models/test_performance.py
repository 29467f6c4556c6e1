"""Performance metrics collected, end to end: chat traffic through the server writes usage
rows, the roll-up turns each minute into metric rows (run for the minute, as the worker's
cron task does, with no wait for the clock), and `AiModel.performanceMetrics` answers series
per minute and per hour that match what the usage rows say. A threshold crossed notifies
the model's owner once; the platform's series are for superusers only."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from strawberry.relay import to_base64

from db.models import ModelUsageLog, PerformanceMetric
from services.performance import roll_up, roll_up_tick
from services.pubsub import notifications_channel
from services.upkeep import apply_retention
from tests.chat.conftest import gid
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql, gql_data
from tests.servers import free_port

HOUR = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# the calls' minutes (offsets from HOUR) and how many calls each has
CALLS_PER_MINUTE = {0: 1, 1: 3, 2: 2}
SEND = """
mutation ($input: SendMessageInput!) { sendMessage(input: $input) { userErrors { code } } }"""
SERIES = """
query ($id: ID!, $filter: PerformanceMetricFilter, $bucket: MetricBucket!) {
  node(id: $id) { ... on AiModel {
    performanceMetrics(filter: $filter, bucket: $bucket) { metricName unit points { at value } }
  } }
}"""
PLATFORM = """
query ($org: ID, $bucket: MetricBucket!) {
  performanceMetrics(organizationId: $org, bucket: $bucket,
                     filter: {metricName: "requests", from: "2026-12-01T09:00:00Z",
                              to: "2026-12-01T10:00:00Z"}) { metricName points { at value } }
}"""
SET = """
mutation ($input: SetModelAlertThresholdInput!) {
  setModelAlertThreshold(input: $input) {
    threshold { id metricName direction value breachedAt }
    userErrors { field code }
  }
}"""
SPAN = {"from": "2026-12-01T09:00:00Z", "to": "2026-12-01T10:00:00Z"}


def percentile(values: list[float], p: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def minute_values(rows: list[Row]) -> dict[str, float]:
    """What the roll-up should find in one minute's usage rows."""
    durations = [r.duration_ms for r in rows]
    return {
        "requests": len(rows),
        "error_rate": sum(r.status != "success" for r in rows) / len(rows),
        "latency_p50_ms": percentile(durations, 0.5),
        "latency_p95_ms": percentile(durations, 0.95),
        "latency_p99_ms": percentile(durations, 0.99),
        "tokens_in": sum(r.input_tokens for r in rows),
        "tokens_out": sum(r.output_tokens for r in rows),
        "cost": float(sum(r.cost for r in rows)),
    }


def hour_values(minutes: list[dict[str, float]]) -> dict[str, float]:
    """Sums, and the rates and percentiles weighted by each minute's requests."""
    requests = sum(m["requests"] for m in minutes)
    out = {}
    for name in minutes[0]:
        if name in ("requests", "tokens_in", "tokens_out", "cost"):
            out[name] = sum(m[name] for m in minutes)
        else:
            out[name] = sum(m[name] * m["requests"] for m in minutes) / requests
    return out


def points(series: list[dict]) -> dict[str, list[tuple[str, float]]]:
    return {s["metricName"]: [(p["at"], p["value"]) for p in s["points"]] for s in series}


def approx(values: dict[str, list[tuple[str, float]]]) -> dict:
    return {k: [(at, pytest.approx(v, rel=1e-9, abs=1e-9)) for at, v in pts]
            for k, pts in values.items()}


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
async def traffic(app, client, session, db):
    """acme's chat model, created by its owner alice, after six chat replies (one of them a
    failed call) moved into the first three minutes of HOUR."""
    acme, other = await make_organization(session), await make_organization(session)
    alice, vera, olga = (await make_user(session), await make_user(session),
                         await make_user(session))
    await make_membership(session, organization=acme, user=alice, role="owner")
    await make_membership(session, organization=acme, user=vera, role="viewer")
    await make_membership(session, organization=other, user=olga, role="owner")
    model = await make_model(session, organization=acme, name="local-chat",
                             config={"delay_ms": 0},
                             pricing={"input_per_1k": 0.5, "output_per_1k": 1.5})
    model.created_by = alice.id
    chat = await make_chat_session(session, user=alice, model=model)
    await session.commit()
    headers = {"alice": await bearer_headers(app, session, alice),
               "vera": await bearer_headers(app, session, vera),
               "olga": await bearer_headers(app, session, olga)}
    unreachable = {"base_url": f"http://127.0.0.1:{free_port()}/v1", "api_key": "sk-none"}
    for n in range(sum(CALLS_PER_MINUTE.values())):
        if n == 2:  # this call's provider cannot be reached: an error row
            await db.fetch("UPDATE ai_models SET provider = 'openai', config = $1 "
                           "WHERE id = $2", unreachable, model.id)
        body = await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                                  "content": f"question {n}"}},
                         headers=headers["alice"])
        assert body["data"]["sendMessage"]["userErrors"] == [], body
        await app.state.generations.join()
        if n == 2:
            await db.fetch("UPDATE ai_models SET provider = 'local', config = $1 "
                           "WHERE id = $2", {"delay_ms": 0}, model.id)
    # the calls, in order, spread over the minutes (their timestamps moved, nothing else)
    rows = await db.fetch("SELECT id FROM model_usage_logs ORDER BY created_at")
    offsets = [m for m, calls in CALLS_PER_MINUTE.items() for _ in range(calls)]
    for (usage_id,), (n, minute) in zip(rows, enumerate(offsets), strict=True):
        await db.fetch("UPDATE model_usage_logs SET created_at = $1 WHERE id = $2",
                       HOUR + timedelta(minutes=minute, seconds=5 + n), usage_id)
    return {"model": model, "acme": acme, "headers": headers, "alice": alice}


async def usage_rows(db, minute: int) -> list:
    return await db.fetch(
        "SELECT status, duration_ms, input_tokens, output_tokens, cost FROM model_usage_logs "
        "WHERE created_at >= $1 AND created_at < $2",
        HOUR + timedelta(minutes=minute), HOUR + timedelta(minutes=minute + 1))


class Row:
    def __init__(self, record) -> None:
        (self.status, self.duration_ms, self.input_tokens, self.output_tokens,
         self.cost) = record


async def expected_minutes(db) -> dict[int, dict[str, float]]:
    return {m: minute_values([Row(r) for r in await usage_rows(db, m)])
            for m in CALLS_PER_MINUTE}


async def roll_up_hour(db, settings) -> None:
    for minute in (*CALLS_PER_MINUTE, 3):  # minute 3 has no calls
        await roll_up(db, settings, HOUR + timedelta(minutes=minute))


async def test_chat_traffic_gives_minute_and_hour_series_matching_the_usage_rows(
        client, db, settings, traffic) -> None:
    # given the hour's minutes rolled up
    minutes = await expected_minutes(db)
    assert [m["requests"] for m in minutes.values()] == [1, 3, 2]
    assert sum(m["error_rate"] * m["requests"] for m in minutes.values()) == 1  # one failed
    await roll_up_hour(db, settings)
    model_id = to_base64("AiModel", traffic["model"].id)

    # when the owner asks for the series per minute and per hour
    by_minute = await gql(client, SERIES, {"id": model_id, "filter": SPAN, "bucket": "MINUTE"},
                          headers=traffic["headers"]["alice"])
    by_hour = await gql(client, SERIES, {"id": model_id, "filter": SPAN, "bucket": "HOUR"},
                        headers=traffic["headers"]["alice"])

    # then each metric has a point per minute with calls, with the usage rows' values
    series = by_minute["data"]["node"]["performanceMetrics"]
    assert [s["metricName"] for s in series] == list(minutes[0])
    assert {s["metricName"]: s["unit"] for s in series}["latency_p99_ms"] == "ms"
    assert points(series) == approx({
        name: [(iso(HOUR + timedelta(minutes=m)), values[name])
               for m, values in minutes.items()]
        for name in minutes[0]})
    # and one point for the hour, summed or weighted by requests
    assert points(by_hour["data"]["node"]["performanceMetrics"]) == approx({
        name: [(iso(HOUR), value)] for name, value in hour_values(list(minutes.values())).items()})


async def test_one_metric_of_a_narrower_span_and_bad_filters(client, db, settings, traffic
                                                             ) -> None:
    await roll_up_hour(db, settings)
    model_id = to_base64("AiModel", traffic["model"].id)
    alice = traffic["headers"]["alice"]
    minutes = await expected_minutes(db)

    narrow = await gql(client, SERIES, {"id": model_id, "bucket": "MINUTE", "filter": {
        "metricName": "tokens_out", "from": iso(HOUR + timedelta(minutes=1)),
        "to": iso(HOUR + timedelta(minutes=2))}}, headers=alice)
    assert points(narrow["data"]["node"]["performanceMetrics"]) == approx({
        "tokens_out": [(iso(HOUR + timedelta(minutes=1)), minutes[1]["tokens_out"])]})

    for bad in ({"metricName": "accuracy"}, {"from": SPAN["to"], "to": SPAN["from"]},
                {"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
                {"to": "0001-01-01T00:00:00Z"}):
        body = await gql(client, SERIES, {"id": model_id, "bucket": "MINUTE", "filter": bad},
                         headers=alice)
        assert error_codes(body) == ["BAD_USER_INPUT"], bad


async def test_a_crossed_threshold_notifies_the_owner_once(app, client, db, redis, settings,
                                                           traffic) -> None:
    # given a threshold of 1.5 requests a minute (minute 0 has 1, minutes 1 and 2 have 3, 2)
    body = await gql(client, SET, {"input": {
        "modelId": to_base64("AiModel", traffic["model"].id), "metricName": "requests",
        "above": 1.5}}, headers=traffic["headers"]["alice"])
    threshold = body["data"]["setModelAlertThreshold"]
    assert threshold["userErrors"] == []
    alice = traffic["alice"]
    bus = redis.pubsub()
    await bus.subscribe(notifications_channel(alice.id))
    await bus.get_message(timeout=5)  # the subscription's confirmation

    # when the minutes are rolled up, minute 1 twice (a retried job)
    for minute in (0, 1, 1, 2):
        await roll_up(db, settings, HOUR + timedelta(minutes=minute), redis=redis)

    # then the owner has one notification, of minute 1, and one event announced it
    rows = await db.fetch("SELECT user_id, kind, title, data FROM notifications")
    assert [(r["user_id"], r["kind"]) for r in rows] == [(alice.id, "model_alert")]
    assert rows[0]["title"] == "local-chat: requests above 1.5"
    assert (rows[0]["data"]["value"], rows[0]["data"]["minute"]) == (
        3, (HOUR + timedelta(minutes=1)).isoformat())
    event = await bus.get_message(timeout=5)
    while event is not None and event["type"] != "message":
        event = await bus.get_message(timeout=5)
    assert event is not None and b"model_alert" in event["data"]
    # and a mail waits in the outbox, linking to the model
    mails = await db.fetch("SELECT kind, to_address, subject, text_body FROM mail_outbox")
    assert [(m["kind"], m["to_address"], m["subject"]) for m in mails] == [
        ("model_alert", alice.email, "Alert: requests of local-chat is above 1.5")]
    model_link = f"{settings.public_url}/models/{to_base64('AiModel', traffic['model'].id)}"
    assert model_link in mails[0]["text_body"]
    # and the threshold is breached since minute 1; a quiet minute ends the crossing
    state = await db.fetch("SELECT breached_at, last_value FROM model_alert_thresholds")
    assert (state[0]["breached_at"], state[0]["last_value"]) == (
        HOUR + timedelta(minutes=1), 2)
    await roll_up(db, settings, HOUR + timedelta(minutes=3), redis=redis)
    state = await db.fetch("SELECT breached_at, last_value FROM model_alert_thresholds")
    assert (state[0]["breached_at"], state[0]["last_value"]) == (None, 0)
    await bus.aclose()


async def test_platform_series_are_for_superusers_and_an_organization_for_its_members(
        client, superuser_client, db, settings, traffic) -> None:
    await roll_up_hour(db, settings)
    acme = to_base64("Organization", traffic["acme"].id)
    headers = traffic["headers"]
    hour = [(iso(HOUR), 6.0)]

    platform = await gql_data(superuser_client, PLATFORM, {"bucket": "HOUR"})
    assert points(platform["performanceMetrics"]) == {"requests": hour}
    for caller in ("alice", "vera", "olga"):
        body = await gql(client, PLATFORM, {"bucket": "HOUR"}, headers=headers[caller])
        assert error_codes(body) == ["FORBIDDEN"], caller
        assert body["data"] is None

    for caller in ("alice", "vera"):
        body = await gql(client, PLATFORM, {"org": acme, "bucket": "HOUR"},
                         headers=headers[caller])
        assert points(body["data"]["performanceMetrics"]) == {"requests": hour}, caller
    body = await gql(client, PLATFORM, {"org": acme, "bucket": "HOUR"}, headers=headers["olga"])
    assert error_codes(body) == ["NOT_FOUND"]
    # nor does the platform's row reach a member through node(id:)
    platform_row = (await db.fetch("SELECT id FROM performance_metrics WHERE organization_id "
                                   "IS NULL LIMIT 1"))[0][0]
    body = await gql(client, "query ($id: ID!) { node(id: $id) { id } }",
                     {"id": to_base64("PerformanceMetric", platform_row)},
                     headers=headers["alice"])
    assert body["data"] == {"node": None}


async def test_without_its_creator_a_models_alerts_go_to_the_organizations_owners(
        client, db, session, settings, app) -> None:
    # given a model nobody still in the organization created, and a threshold on it
    org = await make_organization(session)
    owner, member, creator = (await make_user(session), await make_user(session),
                              await make_user(session))
    await make_membership(session, organization=org, user=owner, role="owner")
    await make_membership(session, organization=org, user=member, role="member")
    model = await make_model(session, organization=org)
    model.created_by = creator.id  # an account that never joined (or has left)
    session.add(ModelUsageLog(organization_id=org.id, model_id=model.id, request_type="chat",
                              status="success", duration_ms=5, created_at=HOUR))
    await session.commit()
    body = await gql(client, SET, {"input": {"modelId": to_base64("AiModel", model.id),
                                             "metricName": "requests", "above": 0}},
                     headers=await bearer_headers(app, session, member))
    assert body["data"]["setModelAlertThreshold"]["userErrors"] == []

    # when the minute is rolled up
    await roll_up(db, settings, HOUR)

    # then the owner is told, not the member who set the threshold
    assert await db.fetch("SELECT user_id FROM notifications") == [(owner.id,)]


async def test_metrics_past_their_retention_are_deleted(db, session, settings) -> None:
    org = await make_organization(session)
    model = await make_model(session, organization=org)
    now = datetime.now(UTC)
    for label, days in (("old", 91), ("new", 89)):
        session.add(PerformanceMetric(organization_id=org.id, model_id=model.id,
                                      metric_name=label, metric_value=1,
                                      recorded_at=now - timedelta(days=days)))
    await session.commit()

    deleted = await apply_retention(db, settings)

    assert deleted["performance_metrics"] == 1
    assert [r[0] for r in await db.fetch("SELECT metric_name FROM performance_metrics")] == [
        "new"]


async def test_a_usage_row_committed_after_its_minute_was_rolled_up_is_counted_a_tick_later(
        db, session, settings) -> None:
    # given a minute already rolled up at the tick after it, with one call in it
    org = await make_organization(session)
    model = await make_model(session, organization=org)
    await session.commit()

    async def call_at(minute: int) -> None:
        session.add(ModelUsageLog(organization_id=org.id, model_id=model.id,
                                  request_type="chat", status="success", duration_ms=10,
                                  input_tokens=1, output_tokens=1, total_tokens=2,
                                  created_at=HOUR + timedelta(minutes=minute, seconds=59)))
        await session.commit()

    async def requests_of(minute: int) -> list:
        return [r[0] for r in await db.fetch(
            "SELECT metric_value FROM performance_metrics WHERE model_id = $1 AND "
            "model_version_id IS NULL AND metric_name = 'requests' AND recorded_at = $2",
            model.id, HOUR + timedelta(minutes=minute))]

    await call_at(0)
    await roll_up_tick(db, settings, HOUR + timedelta(minutes=1))
    assert await requests_of(0) == [1]

    # when a second call of that minute commits only now, and the next tick comes
    await call_at(0)
    await roll_up_tick(db, settings, HOUR + timedelta(minutes=2))

    # then the minute counts both, in one row
    assert await requests_of(0) == [2]
