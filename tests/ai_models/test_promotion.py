"""promoteModelVersion: the lifecycle, and one production (default) version per model."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy.exc import IntegrityError
from strawberry.relay import to_base64

from tests.ai_models.helpers import audit_actions
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.deployments import make_deployment
from tests.graphql import error_codes, gql

PROMOTE = """
mutation ($id: ID!, $to: PromotionTarget!) {
  promoteModelVersion(input: {id: $id, to: $to}) {
    modelVersion { version status isDefault }
    archivedVersion { version status isDefault }
    userErrors { field message code }
  }
}"""


def gid(row) -> str:
    return to_base64("ModelVersion", row.id)


async def promote(client, headers, version, to: str) -> dict:
    return await gql(client, PROMOTE, {"id": gid(version), "to": to}, headers=headers)


async def statuses(db) -> list[tuple[str, str, bool]]:
    rows = await db.fetch("SELECT version, status, is_default FROM model_versions ORDER BY version")
    return [tuple(r) for r in rows]


async def test_versions_go_draft_staging_production_and_replace_each_other(
    client, db, session, world
) -> None:
    # given a model with two drafts
    model = await make_model(session, organization=world.acme)
    v1 = await make_model_version(session, model=model, version="1")
    v2 = await make_model_version(session, model=model, version="2")
    await session.commit()

    # when the member takes v1 to production, then v2
    steps = [await promote(client, world.member, v, to)
             for v, to in ((v1, "STAGING"), (v1, "PRODUCTION"), (v2, "STAGING"))]
    after_v1 = await statuses(db)
    replaced = await promote(client, world.member, v2, "PRODUCTION")

    # then each step moves one status, and v2's promotion archives v1 in the same transaction
    assert [s["data"]["promoteModelVersion"]["modelVersion"] for s in steps] == [
        {"version": "1", "status": "STAGING", "isDefault": False},
        {"version": "1", "status": "PRODUCTION", "isDefault": True},
        {"version": "2", "status": "STAGING", "isDefault": False}]
    assert steps[1]["data"]["promoteModelVersion"]["archivedVersion"] is None
    assert after_v1 == [("1", "production", True), ("2", "staging", False)]
    assert replaced["data"]["promoteModelVersion"] == {
        "modelVersion": {"version": "2", "status": "PRODUCTION", "isDefault": True},
        "archivedVersion": {"version": "1", "status": "ARCHIVED", "isDefault": False},
        "userErrors": []}
    assert await statuses(db) == [("1", "archived", False), ("2", "production", True)]
    assert await audit_actions(db) == ["model_version.promote"] * 4
    last = (await db.fetch("SELECT old_values::text, new_values::text, resource_id "
                           "FROM audit_logs ORDER BY created_at DESC LIMIT 1"))[0]
    assert (orjson.loads(last[0]), orjson.loads(last[1]), last[2]) == (
        {"status": "staging"}, {"status": "production", "archived_version_id": str(v1.id)},
        str(v2.id))


@pytest.mark.parametrize(("start", "to", "allowed"), [
    ("draft", "PRODUCTION", "archived, staging"),
    ("staging", "STAGING", "archived, production"),
    ("production", "STAGING", "archived"),
    ("archived", "STAGING", "nothing (it is final)"),
])
async def test_a_version_cannot_skip_or_go_back(
    client, db, session, world, start, to, allowed
) -> None:
    model = await make_model(session, organization=world.acme)
    version = await make_model_version(session, model=model, version="1", status=start)
    await session.commit()

    body = await promote(client, world.member, version, to)

    assert body["data"]["promoteModelVersion"] == {
        "modelVersion": None, "archivedVersion": None, "userErrors": [{
            "field": ["input", "to"], "code": "INVALID_TRANSITION",
            "message": f"A {start} version cannot become {to.lower()}; it can become: "
                       f"{allowed}"}]}
    assert (await statuses(db))[0][1] == start
    assert await audit_actions(db) == []


async def test_archiving_the_production_version_leaves_no_default(
    client, db, session, world
) -> None:
    model = await make_model(session, organization=world.acme)
    version = await make_model_version(session, model=model, version="1", status="production")
    await session.commit()

    body = await promote(client, world.member, version, "ARCHIVED")

    assert body["data"]["promoteModelVersion"]["modelVersion"] == {
        "version": "1", "status": "ARCHIVED", "isDefault": False}
    assert await statuses(db) == [("1", "archived", False)]


async def test_a_deployed_version_is_not_archived(client, db, session, world) -> None:
    model = await make_model(session, organization=world.acme)
    version = await make_model_version(session, model=model, version="1", status="production")
    await make_deployment(session, model_version=version, status="running")
    await session.commit()

    body = await promote(client, world.member, version, "ARCHIVED")

    assert [e["code"] for e in body["data"]["promoteModelVersion"]["userErrors"]] == ["IN_USE"]
    assert await statuses(db) == [("1", "production", True)]


async def test_concurrent_promotions_leave_one_production_version(
    client, db, session, world
) -> None:
    # given two staging versions of one model
    model = await make_model(session, organization=world.acme)
    versions = [await make_model_version(session, model=model, version=v, status="staging")
                for v in ("1", "2")]
    await session.commit()

    # when both are promoted to production at the same time
    bodies = await asyncio.gather(*(promote(client, world.member, v, "PRODUCTION")
                                    for v in versions))

    # then both succeed, one after the other: the later one archived the earlier one
    assert [b["data"]["promoteModelVersion"]["userErrors"] for b in bodies] == [[], []]
    rows = await statuses(db)
    assert sorted(r[1] for r in rows) == ["archived", "production"]
    assert [r[2] for r in rows if r[1] == "production"] == [True]


async def test_the_database_refuses_a_second_production_version(session, world) -> None:
    model = await make_model(session, organization=world.acme)
    await make_model_version(session, model=model, version="1", status="production")

    with pytest.raises(IntegrityError, match="uq_model_versions_one_production"):
        await make_model_version(session, model=model, version="2", status="production")
    await session.rollback()


async def test_promotion_needs_model_write_in_the_versions_organization(
    client, db, session, world
) -> None:
    model = await make_model(session, organization=world.acme)
    version = await make_model_version(session, model=model, version="1")
    await session.commit()

    viewer = await promote(client, world.viewer, version, "STAGING")
    outsider = await promote(client, world.outsider, version, "STAGING")
    unknown = await gql(client, PROMOTE, {"id": to_base64("ModelVersion", model.id),
                                          "to": "STAGING"}, headers=world.member)

    assert viewer["data"] is None and error_codes(viewer) == ["FORBIDDEN"]
    assert error_codes(outsider) == ["NOT_FOUND"] and error_codes(unknown) == ["NOT_FOUND"]
    assert await statuses(db) == [("1", "draft", False)]
    assert await audit_actions(db) == []
