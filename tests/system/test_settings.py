"""Platform settings: superusers set and delete them, everyone reads the public ones, encrypted
values never come back, protected rows refuse changes, and refusals write nothing."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from strawberry.relay import to_base64

from db.models import SystemSetting
from resolvers.system.settings import setting_value
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql

SET = """mutation ($input: SetSystemSettingInput!) { setSystemSetting(input: $input) {
  setting { id category key value hasValue description isPublic isEncrypted isEditable
            updatedBy { username } }
  userErrors { field message code } } }"""
DELETE = """mutation ($input: DeleteSystemSettingInput!) { deleteSystemSetting(input: $input) {
  deletedSystemSettingId userErrors { field message code } } }"""
LIST = """query ($filter: SystemSettingFilter) { systemSettings(first: 50, filter: $filter) {
  totalCount edges { node { category key value hasValue isPublic isEncrypted } } } }"""


@pytest.fixture
async def people(app, session) -> dict[str, Any]:
    org = await make_organization(session)
    owner = await make_user(session, username="owner")
    await make_membership(session, organization=org, user=owner, role="owner")
    root = await make_user(session, username="root")
    root.is_superuser = True
    await session.flush()
    return {"root": await bearer_headers(app, session, root),
            "owner": await bearer_headers(app, session, owner), "anonymous": {}}


async def set_setting(client, headers, **input: Any) -> dict[str, Any]:
    body = await gql(client, SET, {"input": input}, headers=headers)
    assert "errors" not in body, body
    return body["data"]["setSystemSetting"]


async def rows(db) -> list[tuple]:
    return [tuple(r) for r in await db.fetch(
        "SELECT category, key, value::text, is_public, is_encrypted FROM system_settings "
        "ORDER BY category, key")]


async def audit_actions(db) -> list[str]:
    return [r[0] for r in await db.fetch("SELECT action FROM audit_logs ORDER BY created_at")]


async def test_a_superuser_sets_changes_and_deletes_a_setting(client, db, people) -> None:
    root = people["root"]
    created = await set_setting(client, root, category="ui", key="theme", value={"dark": True},
                                description="Default theme", isPublic=True)
    assert created["userErrors"] == []
    setting = created["setting"]
    assert setting | {"id": None} == {
        "id": None, "category": "ui", "key": "theme", "value": {"dark": True}, "hasValue": True,
        "description": "Default theme", "isPublic": True, "isEncrypted": False,
        "isEditable": True, "updatedBy": {"username": "root"}}

    changed = await set_setting(client, root, category="ui", key="theme", value=["a", 1])
    assert changed["setting"]["id"] == setting["id"]  # the same row, upserted
    assert changed["setting"]["value"] == ["a", 1]
    assert changed["setting"]["description"] == "Default theme"  # left out: kept
    assert changed["setting"]["isPublic"] is True

    body = await gql(client, DELETE, {"input": {"id": setting["id"]}}, headers=root)
    assert body["data"]["deleteSystemSetting"] == {
        "deletedSystemSettingId": setting["id"], "userErrors": []}
    assert await rows(db) == []
    assert await audit_actions(db) == ["system_setting.set", "system_setting.set",
                                       "system_setting.delete"]
    audit = await db.fetch("SELECT old_values, new_values, organization_id FROM audit_logs "
                           "WHERE action = 'system_setting.set' ORDER BY created_at")
    assert audit[1]["old_values"]["value"] == {"dark": True}
    assert audit[1]["new_values"]["value"] == ["a", 1]
    assert audit[1]["organization_id"] is None


async def test_public_settings_are_for_everyone_the_rest_for_superusers(
    client, people
) -> None:
    root = people["root"]
    await set_setting(client, root, category="ui", key="banner", value="Hello", isPublic=True)
    await set_setting(client, root, category="billing", key="plan", value={"tier": 2})
    everyone = [("ui", "banner", "Hello")]
    for caller in ("owner", "anonymous"):
        body = await gql(client, LIST, headers=people[caller])
        listed = body["data"]["systemSettings"]
        assert listed["totalCount"] == 1, caller
        assert [(n["node"]["category"], n["node"]["key"], n["node"]["value"])
                for n in listed["edges"]] == everyone
    body = await gql(client, LIST, {"filter": {"category": "billing"}}, headers=root)
    assert [e["node"]["value"] for e in body["data"]["systemSettings"]["edges"]] == [{"tier": 2}]
    body = await gql(client, LIST, headers=root)
    assert body["data"]["systemSettings"]["totalCount"] == 2


async def test_an_encrypted_value_is_stored_encrypted_and_never_returned(
    client, db, session, app, people
) -> None:
    setting = (await set_setting(client, people["root"], category="smtp", key="password",
                                 value="hunter2-very-secret", isEncrypted=True,
                                 isPublic=True))["setting"]
    assert setting["value"] is None and setting["hasValue"] is True
    assert setting["isEncrypted"] is True
    stored = (await db.fetch("SELECT value FROM system_settings"))[0]["value"]
    for caller in ("root", "owner", "anonymous"):  # whatever is selected, however answered
        for query, variables in ((LIST, {}),
                                 ("{ systemSettings { edges { node { value } } } }", {}),
                                 ("query ($id: ID!) { node(id: $id) { ... on SystemSetting "
                                  "{ value } } }", {"id": setting["id"]})):
            body = await gql(client, query, variables, headers=people[caller])
            assert "errors" not in body, (caller, body)
            assert "hunter2" not in str(body) and stored[:16] not in str(body), (caller, body)
    assert isinstance(stored, str) and "hunter2" not in stored
    base64.b64decode(stored, validate=True)
    audit = await db.fetch("SELECT new_values::text FROM audit_logs")
    assert "hunter2" not in audit[0][0]
    # the server itself reads it back
    assert await setting_value(session, app.state.settings, "smtp", "password") == \
        "hunter2-very-secret"


async def test_a_protected_setting_refuses_changes_with_a_code(
    client, db, session, people
) -> None:
    row = SystemSetting(category="core", key="version", value="1", is_editable=False)
    session.add(row)
    await session.commit()
    before = await rows(db)
    result = await set_setting(client, people["root"], category="core", key="version",
                               value="2")
    assert result["setting"] is None
    assert [e["code"] for e in result["userErrors"]] == ["NOT_EDITABLE"]
    body = await gql(client, DELETE, {"input": {"id": to_base64("SystemSetting", row.id)}},
                     headers=people["root"])
    assert [e["code"] for e in body["data"]["deleteSystemSetting"]["userErrors"]] == [
        "NOT_EDITABLE"]
    assert await rows(db) == before
    assert await audit_actions(db) == []


async def test_bad_input_comes_back_as_user_errors(client, db, people) -> None:
    result = await set_setting(client, people["root"], category=" ", key="bad key!",
                               value="x" * (65 * 1024))
    assert sorted((e["field"][1], e["code"]) for e in result["userErrors"]) == [
        ("category", "REQUIRED"), ("key", "INVALID"), ("value", "TOO_LONG")]
    body = await gql(client, "mutation { setSystemSetting(input: {category: \"a\", key: \"b\", "
                             "value: 123456789012345678901234567890}) { userErrors { code } } }",
                     headers=people["root"])
    assert body["data"]["setSystemSetting"]["userErrors"] == [{"code": "INVALID"}]
    assert await rows(db) == []


async def test_non_superusers_are_refused_and_nothing_is_written(
    client, db, session, people
) -> None:
    row = SystemSetting(category="ui", key="banner", value="Hi", is_public=True)
    session.add(row)
    await session.commit()
    before = await rows(db)
    for caller, code in (("owner", "FORBIDDEN"), ("anonymous", "UNAUTHENTICATED")):
        body = await gql(client, SET, {"input": {"category": "ui", "key": "banner",
                                                 "value": "pwned"}}, headers=people[caller])
        assert error_codes(body) == [code], caller
        assert body["data"] is None
        body = await gql(client, DELETE, {"input": {"id": to_base64("SystemSetting", row.id)}},
                         headers=people[caller])
        assert error_codes(body) == [code], caller
    assert await rows(db) == before
    assert await audit_actions(db) == []
