"""Groups and object grants through the API: they add permissions to a role (for the whole
organization, or for one object), take effect on the member's next request, and nobody hands
out a permission they do not hold."""

from __future__ import annotations

import uuid

from db.scope import Principal
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_user
from tests.graphql import error_codes, gql
from tests.identity.test_organizations import (
    ADD,
    Person,
    audit_rows,
    call,
    gid,
    given_org,
    roles_in,
    state,
)

CREATE_GROUP = """
mutation ($input: CreateGroupInput!) {
  createGroup(input: $input) {
    group { id name description organization { slug } } userErrors { field message code }
  }
}"""
ADD_TO_GROUP = """
mutation ($input: AddGroupMemberInput!) {
  addGroupMember(input: $input) { group { name } userErrors { field message code } }
}"""
GRANT = """
mutation ($input: GrantObjectPermissionInput!) {
  grantObjectPermission(input: $input) {
    grant { permission objectId user { username } group { name } }
    userErrors { field message code }
  }
}"""


async def create_group(client, person: Person, org, name: str, permissions: list[str]) -> str:
    body = await call(client, person, CREATE_GROUP, {
        "organizationId": gid("Organization", org.id), "name": name,
        "permissions": permissions})
    assert body["data"]["createGroup"]["userErrors"] == [], body
    return body["data"]["createGroup"]["group"]["id"]


async def add_to_group(client, person: Person, group_id: str, user) -> dict:
    return await call(client, person, ADD_TO_GROUP, {"groupId": group_id,
                                                     "userId": gid("User", user.id)})


def test_grants_add_to_the_role_in_their_organization_only() -> None:
    org, other = uuid.uuid4(), uuid.uuid4()
    principal = Principal.member(uuid.uuid4(), {org: "member"},
                                 grants={org: frozenset({"deployment:manage"}),
                                         other: frozenset({"deployment:manage"})})

    assert principal.can("deployment:manage", org) is True
    assert principal.can("dataset:write", org) is True  # the role still counts
    assert principal.can("member:manage", org) is False
    assert principal.can("deployment:manage", other) is False  # not a member there


async def test_a_group_permission_lets_a_plain_member_add_members(
    app, client, session, db
) -> None:
    # given a member refused member:manage (their principal is now cached)
    org, people = await given_org(app, session, "owner", "member")
    member, newcomer = people["member"], people["outsider"].user
    add = {"organizationId": gid("Organization", org.id), "userId": gid("User", newcomer.id)}
    assert error_codes(await call(client, member, ADD, add)) == ["FORBIDDEN"]

    # when the owner puts them in a group granting member:manage
    group_id = await create_group(client, people["owner"], org, "Recruiters", ["member:manage"])
    joined = await add_to_group(client, people["owner"], group_id, member.user)
    added = await call(client, member, ADD, add)

    # then the same token may add a member
    assert joined["data"]["addGroupMember"] == {"group": {"name": "Recruiters"},
                                                "userErrors": []}
    assert added["data"]["addMember"]["membership"]["user"] == {"username": "outsider-acme"}
    assert (await roles_in(db, org))["outsider-acme"] == "member"
    entries = await audit_rows(db)
    assert [(e["action"], e["user_id"], e["new_values"]) for e in entries] == [
        ("group.create", people["owner"].user.id,
         {"name": "Recruiters", "description": None, "permissions": ["member:manage"]}),
        ("group.add_member", people["owner"].user.id, {"user_id": str(member.user.id)}),
        ("membership.create", member.user.id, {"user_id": str(newcomer.id), "role": "member"}),
    ]


async def test_create_group_returns_the_group(app, client, session, db) -> None:
    org, people = await given_org(app, session, "admin")

    body = await call(client, people["admin"], CREATE_GROUP, {
        "organizationId": gid("Organization", org.id), "name": " Ops ", "description": "on call",
        "permissions": ["deployment:manage", "deployment:manage"]})

    group = body["data"]["createGroup"]["group"]
    assert body["data"]["createGroup"]["userErrors"] == []
    assert group == {"id": group["id"], "name": "Ops", "description": "on call",
                     "organization": {"slug": "acme"}}
    rows = await db.fetch("SELECT p.codename FROM group_permissions gp JOIN permissions p "
                          "ON p.id = gp.permission_id")
    assert [r["codename"] for r in rows] == ["deployment:manage"]


async def test_group_input_errors_write_nothing(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner")
    await create_group(client, people["owner"], org, "Ops", [])
    before = await state(db)
    org_id = gid("Organization", org.id)

    unknown = await call(client, people["owner"], CREATE_GROUP, {
        "organizationId": org_id, "name": "", "permissions": ["dataset:write", "rule:world"]})
    taken = await call(client, people["owner"], CREATE_GROUP, {
        "organizationId": org_id, "name": "Ops", "permissions": []})

    assert unknown["data"]["createGroup"] == {"group": None, "userErrors": [
        {"field": ["input", "name"], "message": "name: 1 to 150 characters", "code": "INVALID"},
        {"field": ["input", "permissions"], "message": "Unknown permission 'rule:world'",
         "code": "UNKNOWN_PERMISSION"}]}
    assert taken["data"]["createGroup"] == {"group": None, "userErrors": [
        {"field": ["input", "name"], "message": "A group of this name exists", "code": "TAKEN"}]}
    assert await state(db) == before


async def test_an_admin_cannot_hand_out_what_it_does_not_hold(app, client, session, db) -> None:
    # given an admin, and a group the owner made with owner:manage
    org, people = await given_org(app, session, "owner", "admin")
    admin = people["admin"]
    owners = await create_group(client, people["owner"], org, "Owners", ["owner:manage"])
    before = await state(db)

    # when the admin makes such a group, or joins the owner's
    created = await call(client, admin, CREATE_GROUP, {
        "organizationId": gid("Organization", org.id), "name": "Mine",
        "permissions": ["owner:manage"]})
    joined = await add_to_group(client, admin, owners, admin.user)

    # then both are refused and nothing changed
    assert (created["data"], created["errors"][0]["message"], error_codes(created)) == (
        None, "You cannot grant permissions you do not hold: owner:manage", ["FORBIDDEN"])
    assert (joined["data"], error_codes(joined)) == (None, ["FORBIDDEN"])
    assert await state(db) == before


async def test_group_members_must_belong_to_the_organization(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner", "member")
    group_id = await create_group(client, people["owner"], org, "Ops", [])
    await add_to_group(client, people["owner"], group_id, people["member"].user)
    before = await state(db)

    outsider = await add_to_group(client, people["owner"], group_id, people["outsider"].user)
    twice = await add_to_group(client, people["owner"], group_id, people["member"].user)

    assert outsider["data"]["addGroupMember"]["userErrors"] == [
        {"field": ["input", "userId"], "message": "Not a member of the group's organization",
         "code": "NOT_MEMBER"}]
    assert twice["data"]["addGroupMember"]["userErrors"] == [
        {"field": ["input", "userId"], "message": "Already in this group",
         "code": "ALREADY_MEMBER"}]
    assert await state(db) == before


async def test_an_object_grant_works_for_that_object_only(app, client, session, db) -> None:
    # given groups A and B, a member M, a viewer V and a member N in group "Leads"
    org, people = await given_org(app, session, "owner", "member", "viewer", "member2")
    owner, m, n = people["owner"], people["member"], people["member2"]
    group_a = await create_group(client, owner, org, "A", [])
    group_b = await create_group(client, owner, org, "B", [])
    leads = await create_group(client, owner, org, "Leads", [])
    await add_to_group(client, owner, leads, n.user)

    # when the owner grants group:manage on A to M, and on B to the Leads group
    to_user = await call(client, owner, GRANT, {"objectId": group_a, "permission": "group:manage",
                                                "userId": gid("User", m.user.id)})
    to_group = await call(client, owner, GRANT, {"objectId": group_b,
                                                 "permission": "group:manage",
                                                 "groupId": leads})
    m_on_a = await add_to_group(client, m, group_a, people["viewer"].user)
    m_on_b = await add_to_group(client, m, group_b, people["viewer"].user)
    n_on_b = await add_to_group(client, n, group_b, people["viewer"].user)
    n_on_a = await add_to_group(client, n, group_a, n.user)

    # then each grant works on its object only
    assert to_user["data"]["grantObjectPermission"] == {"userErrors": [], "grant": {
        "permission": "group:manage", "objectId": group_a, "user": {"username": "member-acme"},
        "group": None}}
    assert to_group["data"]["grantObjectPermission"]["grant"]["group"] == {"name": "Leads"}
    assert m_on_a["data"]["addGroupMember"]["userErrors"] == []
    assert (m_on_b["data"], error_codes(m_on_b)) == (None, ["FORBIDDEN"])
    assert n_on_b["data"]["addGroupMember"]["userErrors"] == []
    assert (n_on_a["data"], error_codes(n_on_a)) == (None, ["FORBIDDEN"])
    grants = [e for e in await audit_rows(db) if e["action"] == "object_permission.grant"]
    assert [(g["user_id"], g["new_values"]["permission"], g["new_values"]["object_type"])
            for g in grants] == [(owner.user.id, "group:manage", "Group")] * 2


async def test_grant_input_errors(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner", "member")
    owner = people["owner"]
    group_id = await create_group(client, owner, org, "A", [])
    user_id = gid("User", people["member"].user.id)
    await call(client, owner, GRANT, {"objectId": group_id, "permission": "group:manage",
                                      "userId": user_id})
    before = await state(db)

    both = await call(client, owner, GRANT, {"objectId": group_id, "permission": "x:y",
                                             "userId": user_id, "groupId": group_id})
    twice = await call(client, owner, GRANT, {"objectId": group_id,
                                              "permission": "group:manage", "userId": user_id})
    outsider = await call(client, owner, GRANT, {
        "objectId": group_id, "permission": "group:manage",
        "userId": gid("User", people["outsider"].user.id)})
    not_an_org_object = await call(client, owner, GRANT, {
        "objectId": gid("Organization", org.id), "permission": "group:manage",
        "userId": user_id})

    assert both["data"]["grantObjectPermission"]["userErrors"] == [
        {"field": ["input", "permission"], "message": "Unknown permission 'x:y'",
         "code": "UNKNOWN_PERMISSION"},
        {"field": ["input", "userId"], "message": "Pass exactly one of userId and groupId",
         "code": "INVALID"}]
    assert [e["code"] for e in twice["data"]["grantObjectPermission"]["userErrors"]] == [
        "ALREADY_GRANTED"]
    assert [e["code"] for e in outsider["data"]["grantObjectPermission"]["userErrors"]] == [
        "NOT_MEMBER"]
    assert not_an_org_object["data"]["grantObjectPermission"]["userErrors"] == [
        {"field": ["input", "objectId"], "message": "Organization objects take no object grants",
         "code": "INVALID"}]
    assert await state(db) == before


async def test_outsiders_and_members_are_refused(app, client, session, db) -> None:
    # given a group of organization acme
    org, people = await given_org(app, session, "owner", "member")
    group_id = await create_group(client, people["owner"], org, "A", [])
    stranger = await make_user(session, username="stranger")
    await session.commit()
    before = await state(db)
    attempts = [
        (CREATE_GROUP, {"organizationId": gid("Organization", org.id), "name": "B",
                        "permissions": []}),
        (ADD_TO_GROUP, {"groupId": group_id, "userId": gid("User", people["member"].user.id)}),
        (GRANT, {"objectId": group_id, "permission": "group:manage",
                 "userId": gid("User", stranger.id)}),
    ]

    # when an outsider and a plain member try every group mutation
    outsider = [await call(client, people["outsider"], d, i) for d, i in attempts]
    member = [await call(client, people["member"], d, i) for d, i in attempts]

    # then: invisible is NOT_FOUND, visible but not allowed is FORBIDDEN
    assert [(b["data"], error_codes(b)) for b in outsider] == [(None, ["NOT_FOUND"])] * 3
    assert [(b["data"], error_codes(b)) for b in member] == [(None, ["FORBIDDEN"])] * 3
    assert await state(db) == before


async def test_removing_a_member_drops_their_groups_and_grants(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner", "member")
    owner, member = people["owner"], people["member"]
    group_id = await create_group(client, owner, org, "Recruiters", ["member:manage"])
    await add_to_group(client, owner, group_id, member.user)
    await call(client, owner, GRANT, {"objectId": group_id, "permission": "group:manage",
                                      "userId": gid("User", member.user.id)})

    await call(client, owner, "mutation ($input: RemoveMemberInput!) { removeMember(input: "
               "$input) { removedMembershipId } }",
               {"membershipId": gid("Membership", member.membership.id)})
    # back as a plain member: no group power left over
    await make_membership(session, organization=org, user=member.user)
    await session.commit()
    headers = await bearer_headers(app, session, member.user)
    refused = await gql(client, ADD, {"input": {
        "organizationId": gid("Organization", org.id),
        "userId": gid("User", people["outsider"].user.id)}}, headers=headers)

    assert await db.fetch("SELECT 1 FROM group_members") == []
    assert await db.fetch("SELECT 1 FROM object_permissions") == []
    assert error_codes(refused) == ["FORBIDDEN"]
