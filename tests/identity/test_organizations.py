"""Organizations through the API: creating (the creator owns it), partial updates, who may
change what, input errors, and the audit trail every identity mutation leaves. The helpers
here (`given_org`, `call`, `state`, ...) are shared by test_members.py and test_groups.py."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from db.models import Membership, Organization, User
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql

USER_AGENT = "identity-tests/1.0"

CREATE = """
mutation ($input: CreateOrganizationInput!) {
  createOrganization(input: $input) {
    organization { name slug description members { edges { node { role user { username } } } } }
    userErrors { field message code }
  }
}"""
UPDATE = """
mutation ($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) {
    organization { name slug description settings } userErrors { field message code }
  }
}"""
ADD = """
mutation ($input: AddMemberInput!) {
  addMember(input: $input) { membership { id role user { username } } userErrors { field code } }
}"""
INVITE = """
mutation ($input: InviteMemberInput!) {
  inviteMember(input: $input) {
    invitation { email role } userErrors { field message code }
  }
}"""
UPDATE_ROLE = """
mutation ($input: UpdateMemberRoleInput!) {
  updateMemberRole(input: $input) { membership { role } userErrors { field message code } }
}"""
REMOVE = """
mutation ($input: RemoveMemberInput!) {
  removeMember(input: $input) { removedMembershipId userErrors { field message code } }
}"""
MY_ORGS = "{ organizations { edges { node { slug } } } }"
AUDIT = """
query ($slug: String!) {
  organization(slug: $slug) {
    auditLogs { totalCount edges { node { id action actor { username } } } }
  }
}"""
NODE = "query ($id: ID!) { node(id: $id) { id } }"

LAST_OWNER = "An organization must keep at least one owner"


def gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@dataclass
class Person:
    user: User
    headers: dict[str, str]
    membership: Membership | None = None


async def given_org(app, session, *roles: str, slug: str = "acme"
                    ) -> tuple[Organization, dict[str, Person]]:
    """An organization with one member per role (named after it) and an `outsider`."""
    org = await make_organization(session, name="Acme", slug=slug)
    people: dict[str, Person] = {}
    for role in (*roles, "outsider"):
        user = await make_user(session, username=f"{role}-{slug}")
        membership = None if role == "outsider" else await make_membership(
            session, organization=org, user=user, role=role.rstrip("0123456789"))
        people[role] = Person(user, {}, membership)
    await session.commit()
    for person in people.values():
        person.headers = {**await bearer_headers(app, session, person.user),
                          "user-agent": USER_AGENT}
    return org, people


async def call(client, person: Person | None, document: str, input: dict[str, Any]) -> dict:
    return await gql(client, document, {"input": input},
                     headers=person.headers if person else {})


async def state(db) -> dict[str, list]:
    """Everything these mutations may touch, to prove a refusal changed nothing."""
    tables = ("organizations", "memberships", "users", "audit_logs", "group_members")
    return {t: [tuple(r) for r in await db.fetch(f"SELECT * FROM {t} ORDER BY id")]
            for t in tables}


async def audit_rows(db) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT action, user_id, organization_id, resource_type, old_values, new_values, "
        "ip_address, user_agent FROM audit_logs ORDER BY created_at, id")
    return [dict(r) for r in rows]


async def roles_in(db, org: Organization) -> dict[str, str]:
    rows = await db.fetch("SELECT u.username, m.role FROM memberships m JOIN users u "
                          "ON u.id = m.user_id WHERE m.organization_id = $1", org.id)
    return {r["username"]: r["role"] for r in rows}


# ------------------------------------------------------------------ organizations


async def test_creator_becomes_owner_and_sees_the_organization(app, client, session, db) -> None:
    # given a user in no organization, already seen by the server (its principal is cached)
    user = await make_user(session, username="ada")
    me = Person(user, await bearer_headers(app, session, user))
    assert (await gql(client, MY_ORGS, headers=me.headers))["data"] == {
        "organizations": {"edges": []}}

    # when
    body = await call(client, me, CREATE, {"name": " Acme ", "slug": "acme"})
    orgs = await gql(client, MY_ORGS, headers=me.headers)

    # then
    assert body == {"data": {"createOrganization": {
        "organization": {"name": "Acme", "slug": "acme", "description": None, "members": {
            "edges": [{"node": {"role": "OWNER", "user": {"username": "ada"}}}]}},
        "userErrors": []}}}
    assert orgs["data"] == {"organizations": {"edges": [{"node": {"slug": "acme"}}]}}
    [entry] = await audit_rows(db)
    assert entry["action"] == "organization.create"
    assert entry["user_id"] == user.id
    assert entry["resource_type"] == "organization"
    assert entry["old_values"] is None
    assert entry["new_values"] == {"name": "Acme", "slug": "acme", "description": None,
                                   "owner": str(user.id)}


async def test_invalid_or_taken_slug_is_a_user_error_and_writes_nothing(
    app, client, session, db
) -> None:
    # given an organization "acme" and a user
    _, people = await given_org(app, session)
    before = await state(db)

    # when
    bad = await call(client, people["outsider"], CREATE, {"name": "", "slug": "-Bad"})
    taken = await call(client, people["outsider"], CREATE, {"name": "Other", "slug": "acme"})

    # then
    assert bad["data"]["createOrganization"] == {"organization": None, "userErrors": [
        {"field": ["input", "name"], "message": "name must not be empty", "code": "INVALID"},
        {"field": ["input", "slug"], "message": "slug: 3 to 100 of a-z, 0-9 and '-', starting "
                                                "and ending with a letter or digit",
         "code": "INVALID"}]}
    assert taken["data"]["createOrganization"] == {"organization": None, "userErrors": [
        {"field": ["input", "slug"], "message": "This slug is taken", "code": "TAKEN"}]}
    assert await state(db) == before


async def test_anonymous_cannot_create(client, db) -> None:
    before = await state(db)

    body = await call(client, None, CREATE, {"name": "Acme", "slug": "acme"})

    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await state(db) == before


async def test_update_changes_only_the_fields_passed(app, client, session, db) -> None:
    # given an organization with a description, and its owner
    org, people = await given_org(app, session, "owner")
    await db.fetch("UPDATE organizations SET description = 'old' WHERE id = $1", org.id)
    org_id = gid("Organization", org.id)

    # when: a name alone, then an explicit null description and settings
    renamed = await call(client, people["owner"], UPDATE, {"id": org_id, "name": "Acme Corp"})
    cleared = await call(client, people["owner"], UPDATE, {
        "id": org_id, "description": None, "settings": {"theme": "dark"}})

    # then
    assert renamed["data"]["updateOrganization"] == {"userErrors": [], "organization": {
        "name": "Acme Corp", "slug": "acme", "description": "old", "settings": {}}}
    assert cleared["data"]["updateOrganization"] == {"userErrors": [], "organization": {
        "name": "Acme Corp", "slug": "acme", "description": None,
        "settings": {"theme": "dark"}}}
    first, second = await audit_rows(db)
    assert (first["action"], first["old_values"], first["new_values"]) == (
        "organization.update", {"name": "Acme"}, {"name": "Acme Corp"})
    assert (second["old_values"], second["new_values"]) == (
        {"description": "old", "settings": {}}, {"description": None,
                                                "settings": {"theme": "dark"}})
    assert first["user_id"] == people["owner"].user.id
    assert first["organization_id"] == org.id


async def test_update_slug_errors(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner")
    await make_organization(session, slug="taken")
    await session.commit()
    before = await state(db)

    body = await call(client, people["owner"], UPDATE, {"id": gid("Organization", org.id),
                                                        "slug": "taken", "name": "New"})
    bad = await call(client, people["owner"], UPDATE, {"id": gid("Organization", org.id),
                                                       "slug": "x", "settings": [1]})

    assert body["data"]["updateOrganization"]["userErrors"] == [
        {"field": ["input", "slug"], "message": "This slug is taken", "code": "TAKEN"}]
    assert [e["field"] for e in bad["data"]["updateOrganization"]["userErrors"]] == [
        ["input", "slug"], ["input", "settings"]]
    assert await state(db) == before


async def test_member_cannot_update_the_organization(app, client, session, db) -> None:
    org, people = await given_org(app, session, "member")
    before = await state(db)

    body = await call(client, people["member"], UPDATE, {"id": gid("Organization", org.id),
                                                         "name": "Mine"})

    assert body == {"data": None, "errors": [{
        "message": "You need the 'organization:update' permission in this organization",
        "locations": [{"line": 3, "column": 3}], "path": ["updateOrganization"],
        "extensions": {"code": "FORBIDDEN", "permission": "organization:update"}}]}
    assert await state(db) == before


async def test_outsider_gets_not_found_on_every_mutation(app, client, session, db) -> None:
    # given an organization with an owner, and a user outside it
    org, people = await given_org(app, session, "owner")
    org_id, owner = gid("Organization", org.id), people["owner"]
    membership_id = gid("Membership", owner.membership.id)
    other = await make_user(session, username="other")
    await session.commit()
    before = await state(db)

    # when the outsider tries every mutation against it
    attempts = [
        (UPDATE, {"id": org_id, "name": "Mine"}),
        (ADD, {"organizationId": org_id, "userId": gid("User", other.id)}),
        (INVITE, {"organizationId": org_id, "email": "x@example.com"}),
        (UPDATE_ROLE, {"membershipId": membership_id, "role": "VIEWER"}),
        (REMOVE, {"membershipId": membership_id}),
    ]
    bodies = [await call(client, people["outsider"], doc, inp) for doc, inp in attempts]

    # then every one is NOT_FOUND and nothing changed
    assert [(b["data"], error_codes(b)) for b in bodies] == [(None, ["NOT_FOUND"])] * 5
    assert await state(db) == before


async def test_every_successful_mutation_writes_one_audit_row(app, client, session, db) -> None:
    # given
    org, people = await given_org(app, session, "owner")
    owner = people["owner"]
    org_id = gid("Organization", org.id)
    user_id = gid("User", people["outsider"].user.id)

    # when each mutation succeeds once, then the rows they left
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("organization.create", CREATE, {"name": "Second", "slug": "second"}),
        ("organization.update", UPDATE, {"id": org_id, "name": "Renamed"}),
        ("membership.create", ADD, {"organizationId": org_id, "userId": user_id}),
        ("invitation.create", INVITE, {"organizationId": org_id, "email": "pat@example.com"}),
    ]
    for action, document, input in steps:
        count = len(await audit_rows(db))
        body = await call(client, owner, document, input)
        assert "errors" not in body, body
        entries = await audit_rows(db)
        assert len(entries) == count + 1 and entries[-1]["action"] == action
    membership = (await db.fetch("SELECT id FROM memberships WHERE user_id = $1",
                                 people["outsider"].user.id))[0]["id"]
    for action, document, input in [
        ("membership.update_role", UPDATE_ROLE, {"membershipId": gid("Membership", membership),
                                                 "role": "ADMIN"}),
        ("membership.delete", REMOVE, {"membershipId": gid("Membership", membership)}),
    ]:
        count = len(await audit_rows(db))
        assert "errors" not in await call(client, owner, document, input)
        entries = await audit_rows(db)
        assert len(entries) == count + 1 and entries[-1]["action"] == action

    # then every row names the actor, the client and the organization
    entries = await audit_rows(db)
    assert {(e["user_id"], e["ip_address"], e["user_agent"]) for e in entries} == {
        (owner.user.id, "127.0.0.1", USER_AGENT)}
    assert all(e["organization_id"] is not None for e in entries)

async def test_audit_logs_are_for_owners_and_admins_only(app, client, session, db) -> None:
    # given an organization with a history of one change
    org, people = await given_org(app, session, "owner", "admin", "member", "viewer")
    await call(client, people["owner"], UPDATE, {"id": gid("Organization", org.id),
                                                 "description": "hi"})
    [entry_id] = [gid("AuditLog", r["id"]) for r in await db.fetch("SELECT id FROM audit_logs")]

    # when each role reads the trail and the entry itself
    seen = {}
    for role in ("owner", "admin", "member", "viewer"):
        body = await gql(client, AUDIT, {"slug": "acme"}, headers=people[role].headers)
        node = await gql(client, NODE, {"id": entry_id}, headers=people[role].headers)
        seen[role] = (body["data"]["organization"]["auditLogs"], node["data"]["node"],
                      error_codes(node))

    # then
    visible = ({"totalCount": 1, "edges": [{"node": {
        "id": entry_id, "action": "organization.update", "actor": {"username": "owner-acme"}}}]},
        {"id": entry_id}, [])
    hidden = ({"totalCount": 0, "edges": []}, None, ["NOT_FOUND"])
    assert seen == {"owner": visible, "admin": visible, "member": hidden, "viewer": hidden}
