"""The gateway knows which model version answered: its usage rows name it, and the roll-up
gives that version series of its own beside the model's."""

from __future__ import annotations

from datetime import timedelta

from strawberry.relay import to_base64

from services.performance import roll_up
from tests.conftest import bearer_headers
from tests.gateway.conftest import MESSAGES_HELLO
from tests.graphql import gql

SERIES = """
query ($id: ID!, $filter: PerformanceMetricFilter) { node(id: $id) { ... on AiModel {
  performanceMetrics(filter: $filter, bucket: HOUR) { metricName points { value } }
} } }"""


async def test_gateway_calls_give_series_per_model_version(app, client, db, session, settings,
                                                           world) -> None:
    # given two calls through the gateway to the `assistant` deployment
    assistant = world.deployments["assistant"]
    for _ in range(2):
        response = await client.post(
            "/v1/chat/completions", headers={"authorization": f"Bearer {world.key}"},
            json={"model": "assistant", "messages": MESSAGES_HELLO})
        assert response.status_code == 200
    rows = await db.fetch("SELECT model_id, model_version_id, date_trunc('minute', created_at) "
                          "FROM model_usage_logs")
    assert {r[1] for r in rows} == {assistant.model_version_id}
    # when their minutes are rolled up
    minutes = sorted({r[2] for r in rows})
    for minute in minutes:
        await roll_up(db, settings, minute)

    # then the version's series and the model's count both calls
    reader = await bearer_headers(app, session, world.alice)
    span = {"metricName": "requests", "from": minutes[0].isoformat(),
            "to": (minutes[-1] + timedelta(minutes=1)).isoformat()}
    model_id = to_base64("AiModel", rows[0][0])
    versions = {name: to_base64("ModelVersion", world.deployments[name].model_version_id)
                for name in ("assistant", "echo")}
    whole, of_version, other = [
        (await gql(client, SERIES, {"id": model_id, "filter": filter}, headers=reader))["data"]
        for filter in (span, {**span, "modelVersionId": versions["assistant"]},
                       {**span, "modelVersionId": versions["echo"]})]
    for body in (whole, of_version):
        (series,) = body["node"]["performanceMetrics"]
        assert sum(p["value"] for p in series["points"]) == 2
    assert other["node"]["performanceMetrics"] == []  # another model's version: nothing
