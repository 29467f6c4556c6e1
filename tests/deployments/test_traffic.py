"""shiftTraffic: a name's split changes all at once (left-out deployments get 0), with an
audit row; totals other than 100, strangers and repeats are userErrors that change nothing;
a member or an outsider is refused. `acme` is in conftest.py."""

from __future__ import annotations

from strawberry.relay import to_base64

from tests.deployments.conftest import Acme
from tests.factories.deployments import make_deployment
from tests.graphql import error_codes, gql

SHIFT = """mutation ($input: ShiftTrafficInput!) {
  shiftTraffic(input: $input) {
    deployments { id name trafficPercentage } userErrors { field message code } } }"""


async def canary_group(session, acme: Acme) -> list:
    """stable, canary and spare named `api` in production, and `api` in staging."""
    rows = [await make_deployment(session, model_version=acme.version, name="api",
                                  environment="production", status="running")
            for _ in range(3)]
    rows.append(await make_deployment(session, model_version=acme.version, name="api",
                                      environment="staging", status="running"))
    await session.commit()
    return rows


def gid(row) -> str:
    return to_base64("Deployment", row.id)


async def percentages(db) -> dict:
    rows = await db.fetch("SELECT id, traffic_percentage FROM deployments")
    return {r[0]: r[1] for r in rows}


async def shift(client, acme: Acme, splits: list, caller: str = "admin",
                environment: str = "production") -> dict:
    return await gql(client, SHIFT, {"input": {
        "name": "api", "environment": environment,
        "splits": [{"deploymentId": gid(row), "percentage": p} for row, p in splits]}},
        headers=acme.headers[caller])


async def test_a_90_10_canary_is_set_at_once(client, session, db, acme) -> None:
    stable, canary, spare, staging = await canary_group(session, acme)

    body = await shift(client, acme, [(stable, 90), (canary, 10)])

    payload = body["data"]["shiftTraffic"]
    assert payload["userErrors"] == []
    by_id = sorted((stable, canary, spare), key=lambda r: r.id)
    assert payload["deployments"] == [
        {"id": gid(r), "name": "api", "trafficPercentage": {stable.id: 90.0, canary.id: 10.0}
         .get(r.id, 0.0)} for r in by_id]
    assert await percentages(db) == {stable.id: 90.0, canary.id: 10.0, spare.id: 0.0,
                                     staging.id: 100.0}
    (audit,) = await db.fetch("SELECT action, new_values FROM audit_logs")
    assert audit["action"] == "deployment.shift_traffic"
    assert audit["new_values"] == {str(stable.id): 90.0, str(canary.id): 10.0,
                                   str(spare.id): 0.0}


async def test_bad_splits_are_user_errors_and_change_nothing(client, session, db, acme) -> None:
    stable, canary, _, staging = await canary_group(session, acme)
    before = await percentages(db)

    short = await shift(client, acme, [(stable, 80), (canary, 10)])
    stranger = await shift(client, acme, [(stable, 50), (staging, 50)])
    twice = await shift(client, acme, [(stable, 50), (stable, 50)])
    negative = await shift(client, acme, [(stable, 110), (canary, -10)])
    empty = await shift(client, acme, [])

    def codes(body: dict) -> list[str]:
        return [e["code"] for e in body["data"]["shiftTraffic"]["userErrors"]]

    assert codes(short) == ["OUT_OF_RANGE"]
    assert "90, not 100" in short["data"]["shiftTraffic"]["userErrors"][0]["message"]
    assert codes(stranger) == ["NOT_IN_GROUP"]
    assert codes(twice) == ["INVALID", "OUT_OF_RANGE"]
    assert codes(negative) == ["OUT_OF_RANGE"]
    assert codes(empty) == ["INVALID"]
    assert await percentages(db) == before
    assert (await db.fetch("SELECT count(*) FROM audit_logs"))[0][0] == 0


async def test_members_and_outsiders_are_refused(client, session, db, acme) -> None:
    stable, canary, _, _ = await canary_group(session, acme)
    before = await percentages(db)

    refusals = {caller: error_codes(await shift(client, acme, [(stable, 50), (canary, 50)],
                                                caller))
                for caller in ("member", "viewer", "outsider", "anonymous")}

    assert refusals == {"member": ["FORBIDDEN"], "viewer": ["FORBIDDEN"],
                        "outsider": ["NOT_FOUND"], "anonymous": ["UNAUTHENTICATED"]}
    assert await percentages(db) == before
