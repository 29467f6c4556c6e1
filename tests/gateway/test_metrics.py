"""What the gateway's calls show: `Deployment.metrics` (request rate, error rate, latency of
the last window, from the usage rows) and the Prometheus counters on /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from strawberry.relay import to_base64

from db.loaders.deployment_metrics import WINDOW_SECONDS, recent_usage
from db.models import ModelUsageLog
from tests.conftest import bearer_headers
from tests.gateway.conftest import MESSAGES_HELLO
from tests.graphql import gql

METRICS = "query ($id: ID!) { node(id: $id) { ... on Deployment { metrics } } }"


async def test_recent_usage_counts_the_window_only(db, session, world) -> None:
    rows = await db.fetch("SELECT d.id, v.model_id FROM deployments d "
                          "JOIN model_versions v ON v.id = d.model_version_id")
    model_of = dict((r[0], r[1]) for r in rows)
    assistant = world.deployments["assistant"]
    for status, duration, ago in (("success", 10, 1), ("success", 30, 2), ("error", 50, 3),
                                  ("success", 20, 4), ("success", 999, WINDOW_SECONDS + 60)):
        session.add(ModelUsageLog(
            organization_id=world.acme.id, model_id=model_of[assistant.id],
            deployment_id=assistant.id, request_type="chat_completion", total_tokens=7,
            duration_ms=duration, status=status,
            created_at=datetime.now(UTC) - timedelta(seconds=ago)))
    await session.commit()

    busy, idle = await recent_usage(db, [assistant.id, world.deployments["echo"].id])

    assert busy == {"windowSeconds": WINDOW_SECONDS, "requests": 4, "errors": 1,
                    "requestsPerMinute": round(4 * 60 / WINDOW_SECONDS, 3), "errorRate": 0.25,
                    "latencyMs": {"avg": 27.5, "p50": 25.0, "p95": 47.0}, "tokens": 28}
    assert idle["requests"] == 0 and idle["errorRate"] == 0.0
    assert idle["latencyMs"] == {"avg": None, "p50": None, "p95": None}


async def test_deployment_metrics_show_the_gateways_calls(app, client, session, world) -> None:
    headers = {"authorization": f"Bearer {world.key}"}
    for _ in range(3):
        await client.post("/v1/chat/completions", headers=headers,
                          json={"model": "assistant", "messages": MESSAGES_HELLO})
    await client.post("/v1/chat/completions", headers=headers,
                      json={"model": "down", "messages": MESSAGES_HELLO})
    reader = await bearer_headers(app, session, world.alice)

    def metrics_of(body: dict) -> dict:
        return body["data"]["node"]["metrics"]

    ok = metrics_of(await gql(client, METRICS, {
        "id": to_base64("Deployment", world.deployments["assistant"].id)}, headers=reader))
    failing = metrics_of(await gql(client, METRICS, {
        "id": to_base64("Deployment", world.deployments["down"].id)}, headers=reader))

    assert (ok["requests"], ok["errors"], ok["errorRate"]) == (3, 0, 0.0)
    assert ok["latencyMs"]["p95"] is not None and ok["tokens"] > 0
    assert (failing["requests"], failing["errors"], failing["errorRate"]) == (1, 1, 1.0)


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_prometheus_counts_gateway_calls_by_outcome_and_tokens(client, world) -> None:
    headers = {"authorization": f"Bearer {world.key}"}
    before = (await client.get("/metrics")).text

    await client.post("/v1/chat/completions", headers=headers,
                      json={"model": "assistant", "messages": MESSAGES_HELLO})
    await client.post("/v1/chat/completions", headers=headers,
                      json={"model": "paused", "messages": MESSAGES_HELLO})
    after = (await client.get("/metrics")).text

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("aiplatform_gateway_requests_total", endpoint="chat_completions",
                 outcome="ok") == 1
    assert delta("aiplatform_gateway_requests_total", endpoint="chat_completions",
                 outcome="refused") == 1
    assert delta("aiplatform_gateway_tokens_total", kind="completion") > 0
    assert delta("aiplatform_gateway_request_duration_seconds_count",
                 endpoint="chat_completions") == 2
