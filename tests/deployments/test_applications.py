"""Application mutations: create, update (status machine), delete, and adding and removing
components, with their audit rows, userErrors and refusals. `acme` is in conftest.py."""

from __future__ import annotations

from strawberry.relay import to_base64

from tests.deployments.conftest import Acme
from tests.factories.deployments import make_application, make_component, make_deployment
from tests.factories.identity import make_organization
from tests.graphql import error_codes, gql

ERRORS = "userErrors { field message code }"
CREATE = f"""mutation ($input: CreateApplicationInput!) {{ createApplication(input: $input) {{
  application {{ name description applicationType status configuration version tags }}
  {ERRORS} }} }}"""
UPDATE = f"""mutation ($input: UpdateApplicationInput!) {{ updateApplication(input: $input) {{
  application {{ name status configuration }} {ERRORS} }} }}"""
DELETE = f"""mutation ($input: DeleteApplicationInput!) {{ deleteApplication(input: $input) {{
  deletedApplicationId {ERRORS} }} }}"""
ADD = f"""mutation ($input: AddApplicationComponentInput!) {{
  addApplicationComponent(input: $input) {{
    applicationComponent {{ componentType name orderIndex configuration
                            deployment {{ name }} application {{ name }} }} {ERRORS} }} }}"""
REMOVE = f"""mutation ($input: RemoveApplicationComponentInput!) {{
  removeApplicationComponent(input: $input) {{ removedApplicationComponentId
    application {{ components {{ totalCount }} }} {ERRORS} }} }}"""
TABLES = ("applications", "application_components", "audit_logs")


async def run(client, acme: Acme, document: str, input: dict, caller: str = "admin") -> dict:
    return await gql(client, document, {"input": input}, headers=acme.headers[caller])


async def counts(db) -> dict[str, int]:
    return {t: (await db.fetch(f"SELECT count(*) FROM {t}"))[0][0] for t in TABLES}


async def audit_actions(db) -> list[tuple]:
    rows = await db.fetch("SELECT action, resource_type FROM audit_logs ORDER BY created_at")
    return [tuple(r) for r in rows]


async def application_of(session, acme: Acme, **kwargs) -> tuple:
    app = await make_application(session, organization=acme.org, name="bot", **kwargs)
    await session.commit()
    return app, to_base64("Application", app.id)


def org_id(acme: Acme) -> str:
    return to_base64("Organization", acme.org.id)


# ------------------------------------------------------------------ createApplication

async def test_an_admin_creates_a_draft_application_with_an_audit_row(client, db, acme) -> None:
    body = await run(client, acme, CREATE, {
        "organizationId": org_id(acme), "name": " helper ", "applicationType": "chatbot",
        "configuration": {"temperature": 0.2}, "tags": ["a", "a", "b"]})

    assert body["data"]["createApplication"] == {"application": {
        "name": "helper", "description": None, "applicationType": "chatbot",
        "status": "DRAFT", "configuration": {"temperature": 0.2}, "version": "1.0",
        "tags": ["a", "b"]}, "userErrors": []}
    assert await audit_actions(db) == [("application.create", "Application")]


async def test_create_problems_come_back_together_and_nothing_is_written(
    client, db, acme
) -> None:
    before = await counts(db)

    body = await run(client, acme, CREATE, {
        "organizationId": org_id(acme), "name": " ", "applicationType": "Bad Type",
        "configuration": [1], "version": "!"})

    assert body["data"]["createApplication"]["application"] is None
    assert [(e["field"], e["code"]) for e in body["data"]["createApplication"]["userErrors"]] == [
        (["input", "name"], "REQUIRED"), (["input", "applicationType"], "INVALID"),
        (["input", "configuration"], "INVALID"), (["input", "version"], "INVALID")]
    assert await counts(db) == before


async def test_a_member_viewer_and_outsider_cannot_create(client, db, acme) -> None:
    before = await counts(db)
    input = {"organizationId": org_id(acme), "name": "x"}

    codes = [error_codes(await run(client, acme, CREATE, input, caller))
             for caller in ("member", "viewer", "outsider", "anonymous")]

    assert codes == [["FORBIDDEN"], ["FORBIDDEN"], ["NOT_FOUND"], ["UNAUTHENTICATED"]]
    assert await counts(db) == before


# ------------------------------------------------------------------ updateApplication

async def test_an_admin_publishes_and_renames_with_one_audit_row(client, db, session, acme
                                                                 ) -> None:
    _, gid = await application_of(session, acme)

    body = await run(client, acme, UPDATE, {"id": gid, "name": "bot2", "status": "PUBLISHED"})

    assert body["data"]["updateApplication"] == {"application": {
        "name": "bot2", "status": "PUBLISHED", "configuration": {}}, "userErrors": []}
    row = (await db.fetch("SELECT old_values, new_values FROM audit_logs "
                          "WHERE action = 'application.update'"))[0]
    assert (row["old_values"], row["new_values"]) == (
        {"name": "bot", "status": "draft"}, {"name": "bot2", "status": "published"})


async def test_an_archived_application_cannot_be_published_and_nothing_changes(
    client, db, session, acme
) -> None:
    _, gid = await application_of(session, acme, status="archived")
    before = await counts(db)

    body = await run(client, acme, UPDATE, {"id": gid, "status": "PUBLISHED", "name": ""})

    assert body["data"]["updateApplication"]["userErrors"] == [
        {"field": ["input", "name"], "message": "name must not be empty", "code": "REQUIRED"},
        {"field": ["input", "status"], "message": "An application cannot go from archived to "
                                                  "published", "code": "INVALID_TRANSITION"}]
    assert await counts(db) == before
    assert (await db.fetch("SELECT name, status FROM applications"))[0] == ("bot", "archived")


async def test_a_viewer_gets_forbidden_and_an_outsider_not_found_on_update(
    client, db, session, acme
) -> None:
    _, gid = await application_of(session, acme)

    codes = [error_codes(await run(client, acme, UPDATE, {"id": gid, "name": "z"}, caller))
             for caller in ("viewer", "outsider")]

    assert codes == [["FORBIDDEN"], ["NOT_FOUND"]]
    assert (await db.fetch("SELECT name FROM applications"))[0][0] == "bot"
    assert await audit_actions(db) == []


# ------------------------------------------------------------------ deleteApplication

async def test_delete_removes_the_application_and_its_components(client, db, session, acme
                                                                 ) -> None:
    app, gid = await application_of(session, acme)
    await make_component(session, application=app, component_type="prompt")
    await session.commit()

    body = await run(client, acme, DELETE, {"id": gid})

    assert body["data"]["deleteApplication"] == {"deletedApplicationId": gid, "userErrors": []}
    assert await counts(db) == {"applications": 0, "application_components": 0,
                                "audit_logs": 1}
    assert await audit_actions(db) == [("application.delete", "Application")]


async def test_an_application_with_deployments_is_not_deleted(client, db, session, acme
                                                              ) -> None:
    app, gid = await application_of(session, acme)
    await make_deployment(session, application=app)
    await session.commit()
    before = await counts(db)

    body = await run(client, acme, DELETE, {"id": gid})

    assert [e["code"] for e in body["data"]["deleteApplication"]["userErrors"]] == ["IN_USE"]
    assert await counts(db) == before


async def test_a_viewer_and_an_outsider_cannot_delete(client, db, session, acme) -> None:
    _, gid = await application_of(session, acme)

    codes = [error_codes(await run(client, acme, DELETE, {"id": gid}, caller))
             for caller in ("viewer", "outsider")]

    assert codes == [["FORBIDDEN"], ["NOT_FOUND"]]
    assert await counts(db) == {"applications": 1, "application_components": 0,
                                "audit_logs": 0}


# ------------------------------------------------------------------ components

async def test_an_admin_adds_a_deployment_component_after_the_last(client, db, session, acme
                                                                   ) -> None:
    app, gid = await application_of(session, acme)
    await make_component(session, application=app, component_type="prompt", order_index=4)
    deployment = await make_deployment(session, model_version=acme.version, name="serve")
    await session.commit()

    body = await run(client, acme, ADD, {
        "applicationId": gid, "componentType": "deployment", "name": "llm",
        "componentId": to_base64("Deployment", deployment.id), "configuration": {"k": 1}})

    assert body["data"]["addApplicationComponent"] == {"applicationComponent": {
        "componentType": "deployment", "name": "llm", "orderIndex": 5,
        "configuration": {"k": 1}, "deployment": {"name": "serve"},
        "application": {"name": "bot"}}, "userErrors": []}
    assert await audit_actions(db) == [("application_component.add", "ApplicationComponent")]


async def test_component_problems_come_back_together(client, db, session, acme) -> None:
    _, gid = await application_of(session, acme)
    before = await counts(db)

    body = await run(client, acme, ADD, {"applicationId": gid, "componentType": "deployment",
                                         "configuration": "x", "orderIndex": -1})

    assert [(e["field"], e["code"]) for e in
            body["data"]["addApplicationComponent"]["userErrors"]] == [
        (["input", "configuration"], "INVALID"), (["input", "orderIndex"], "OUT_OF_RANGE"),
        (["input", "componentId"], "REQUIRED")]
    assert await counts(db) == before


async def test_a_deployment_of_another_organization_is_not_found(client, db, session, acme
                                                                 ) -> None:
    _, gid = await application_of(session, acme)
    other = await make_organization(session)
    foreign = await make_application(session, organization=other)
    deployment = await make_deployment(session, application=foreign)
    await session.commit()
    before = await counts(db)

    body = await run(client, acme, ADD, {"applicationId": gid, "componentType": "deployment",
                                         "componentId": to_base64("Deployment", deployment.id)})

    assert error_codes(body) == ["NOT_FOUND"]
    assert await counts(db) == before


async def test_a_viewer_and_an_outsider_cannot_add_or_remove(client, db, session, acme) -> None:
    app, gid = await application_of(session, acme)
    component = await make_component(session, application=app, component_type="prompt")
    await session.commit()
    before = await counts(db)
    add = {"applicationId": gid, "componentType": "prompt"}
    remove = {"id": to_base64("ApplicationComponent", component.id)}

    codes = [error_codes(await run(client, acme, doc, input, caller))
             for doc, input in ((ADD, add), (REMOVE, remove))
             for caller in ("viewer", "outsider")]

    assert codes == [["FORBIDDEN"], ["NOT_FOUND"], ["FORBIDDEN"], ["NOT_FOUND"]]
    assert await counts(db) == before


async def test_an_admin_removes_a_component_with_an_audit_row(client, db, session, acme
                                                              ) -> None:
    app, _ = await application_of(session, acme)
    component = await make_component(session, application=app, component_type="prompt")
    await session.commit()
    cid = to_base64("ApplicationComponent", component.id)

    body = await run(client, acme, REMOVE, {"id": cid})

    assert body["data"]["removeApplicationComponent"] == {
        "removedApplicationComponentId": cid,
        "application": {"components": {"totalCount": 0}}, "userErrors": []}
    assert await audit_actions(db) == [("application_component.remove", "ApplicationComponent")]


async def test_null_for_a_required_field_is_refused_and_nothing_changes(
    client, db, session, acme
) -> None:
    _, gid = await application_of(session, acme)

    body = await run(client, acme, UPDATE, {"id": gid, "name": None})

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (await db.fetch("SELECT name FROM applications"))[0][0] == "bot"
    assert await audit_actions(db) == []
