"""setModelAlertThreshold, removeModelAlertThreshold and AiModel.alertThresholds; and the
performance series of many models read in one statement."""

from __future__ import annotations

from strawberry.relay import to_base64

from tests.ai_models.helpers import audit_actions, count
from tests.factories.ai_models import make_model
from tests.graphql import error_codes, gql, gql_data

SET = """
mutation ($input: SetModelAlertThresholdInput!) {
  setModelAlertThreshold(input: $input) {
    threshold { __typename metricName direction value breachedAt model { name } }
    userErrors { field message code }
  }
}"""
REMOVE = """
mutation ($id: ID!) {
  removeModelAlertThreshold(input: {id: $id}) { removedThresholdId userErrors { code } }
}"""
LIST = """
query ($id: ID!) { node(id: $id) { ... on AiModel {
  alertThresholds(orderBy: {field: CREATED_AT}) { edges { node { id metricName direction value } } }
} } }"""
MANY = """
query ($n: Int!) { models(first: $n) { edges { node { name
  performanceMetrics(bucket: HOUR, filter: {metricName: "requests"}) { points { value } }
  alertThresholds { edges { node { metricName } } }
} } } }"""


def gid(type_name: str, row) -> str:
    return to_base64(type_name, row.id)


async def test_set_replace_list_and_remove_thresholds(client, db, session, world) -> None:
    model = await make_model(session, organization=world.acme, name="bot")
    await session.commit()

    # when a member sets two thresholds, then a new value for the first
    for bound in ({"metricName": "error_rate", "above": 0.1},
                  {"metricName": "requests", "below": 1},
                  {"metricName": "error_rate", "above": 0.2}):
        body = await gql(client, SET, {"input": {"modelId": gid("AiModel", model), **bound}},
                         headers=world.member)
        payload = body["data"]["setModelAlertThreshold"]
        assert payload["userErrors"] == []
    # then the last answer is the replaced threshold, and the model lists two
    assert payload["threshold"] == {"__typename": "ModelAlertThreshold",
                                    "metricName": "error_rate", "direction": "ABOVE",
                                    "value": 0.2, "breachedAt": None, "model": {"name": "bot"}}
    listed = await gql(client, LIST, {"id": gid("AiModel", model)}, headers=world.viewer)
    nodes = [e["node"] for e in listed["data"]["node"]["alertThresholds"]["edges"]]
    assert [(n["metricName"], n["direction"], n["value"]) for n in nodes] == [
        ("error_rate", "ABOVE", 0.2), ("requests", "BELOW", 1.0)]

    # when the viewer tries to remove one, and the member does
    refused = await gql(client, REMOVE, {"id": nodes[1]["id"]}, headers=world.viewer)
    removed = await gql(client, REMOVE, {"id": nodes[1]["id"]}, headers=world.member)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert removed["data"]["removeModelAlertThreshold"] == {
        "removedThresholdId": nodes[1]["id"], "userErrors": []}
    assert await count(db, "model_alert_thresholds") == 1
    assert await audit_actions(db) == ["model.alert_threshold.set"] * 3 + [
        "model.alert_threshold.remove"]


async def test_a_threshold_needs_a_known_metric_and_exactly_one_bound(client, db, session,
                                                                      world) -> None:
    model = await make_model(session, organization=world.acme)
    await session.commit()
    cases = (
        ({"metricName": "accuracy", "above": 1}, [("metricName", "INVALID")]),
        ({"metricName": "requests"}, [("above", "REQUIRED")]),
        ({"metricName": "requests", "above": 1, "below": 0}, [("below", "INVALID")]),
        ({"metricName": "nope"}, [("metricName", "INVALID"), ("above", "REQUIRED")]),
    )
    for bound, expected in cases:
        body = await gql(client, SET, {"input": {"modelId": gid("AiModel", model), **bound}},
                         headers=world.member)
        payload = body["data"]["setModelAlertThreshold"]
        assert payload["threshold"] is None
        assert [(e["field"][-1], e["code"]) for e in payload["userErrors"]] == expected, bound
    assert await count(db, "model_alert_thresholds") == 0


async def test_only_who_may_change_the_model_sets_its_thresholds(client, db, session,
                                                                  world) -> None:
    model = await make_model(session, organization=world.acme)
    await session.commit()
    values = {"input": {"modelId": gid("AiModel", model), "metricName": "cost", "above": 5}}

    for headers, code in ((world.viewer, "FORBIDDEN"), (world.outsider, "NOT_FOUND"),
                          ({}, "UNAUTHENTICATED")):
        body = await gql(client, SET, values, headers=headers)
        assert error_codes(body) == [code]
    assert await count(db, "model_alert_thresholds") == 0


async def test_series_of_many_models_cost_one_statement_per_level(db, session,
                                                                  member_client) -> None:
    from tests.factories.identity import make_organization

    org = await make_organization(session)
    for n in range(6):
        await make_model(session, organization=org, name=f"m{n}")
    await session.commit()
    reader = await member_client(org, role="viewer")
    await gql_data(reader, "{ viewer { username } }")  # the caller's session is now cached

    counts = []
    for n in (2, 6):
        statements: list[str] = []
        db.listeners.append(statements.append)
        try:
            data = await gql_data(reader, MANY, {"n": n})
        finally:
            db.listeners.remove(statements.append)
        assert len(data["models"]["edges"]) == n
        counts.append(len(statements))
    # models, their series, their thresholds
    assert counts == [3, 3]
