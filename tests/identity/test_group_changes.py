"""Groups and grants, complete: listing groups, their members and codenames, changing and
deleting groups, removing a member, listing and revoking object grants, and direct user
permissions."""

from __future__ import annotations

from tests.graphql import error_codes, gql
from tests.identity.test_groups import GRANT, add_to_group, create_group
from tests.identity.test_organizations import ADD, audit_rows, call, gid, given_org

GROUPS = """
query ($slug: String!) {
  organization(slug: $slug) {
    groups(first: 10) { edges { node { name permissions
      members(first: 10) { totalCount edges { node { username } } } } } }
  }
}"""
UPDATE = """
mutation ($input: UpdateGroupInput!) {
  updateGroup(input: $input) { group { name description permissions }
                               userErrors { field message code } }
}"""
DELETE = """
mutation ($input: DeleteGroupInput!) {
  deleteGroup(input: $input) { deletedGroupId userErrors { code } }
}"""
REMOVE = """
mutation ($input: RemoveGroupMemberInput!) {
  removeGroupMember(input: $input) { group { name } userErrors { field code } }
}"""
GRANTS = """
query ($slug: String!, $filter: ObjectPermissionFilter) {
  organization(slug: $slug) {
    objectPermissions(first: 10, filter: $filter) {
      edges { node { id permission objectId user { username } group { name } } } }
  }
}"""
REVOKE_GRANT = """
mutation ($input: RevokeObjectPermissionInput!) {
  revokeObjectPermission(input: $input) { revokedObjectPermissionId userErrors { code } }
}"""
GRANT_USER = """
mutation ($input: GrantUserPermissionInput!) {
  grantUserPermission(input: $input) { membership { permissions } userErrors { field code } }
}"""
REVOKE_USER = """
mutation ($input: RevokeUserPermissionInput!) {
  revokeUserPermission(input: $input) { membership { permissions } userErrors { field code } }
}"""


async def test_groups_are_listed_changed_and_deleted(app, client, session, db) -> None:
    # given a group granting member:manage, with a member in it
    org, people = await given_org(app, session, "owner", "member", "viewer")
    owner, member = people["owner"], people["member"]
    group_id = await create_group(client, owner, org, "Recruiters", ["member:manage"])
    await add_to_group(client, owner, group_id, member.user)
    add = {"organizationId": gid("Organization", org.id),
           "userId": gid("User", people["outsider"].user.id)}

    # then it is listed with its codenames and members
    listed = await gql(client, GROUPS, {"slug": "acme"}, headers=people["viewer"].headers)
    assert listed["data"]["organization"]["groups"]["edges"] == [{"node": {
        "name": "Recruiters", "permissions": ["member:manage"],
        "members": {"totalCount": 1, "edges": [{"node": {"username": "member-acme"}}]}}}]

    # when it is renamed and its codenames replaced
    updated = await call(client, owner, UPDATE, {"id": group_id, "name": "Leads",
                                                 "permissions": ["deployment:manage"]})
    by_viewer = await call(client, people["viewer"], UPDATE, {"id": group_id, "name": "x"})

    # then the member lost member:manage at once, and only group:manage may change it
    assert updated["data"]["updateGroup"] == {"userErrors": [], "group": {
        "name": "Leads", "description": None, "permissions": ["deployment:manage"]}}
    assert error_codes(by_viewer) == ["FORBIDDEN"]
    assert error_codes(await call(client, member, ADD, add)) == ["FORBIDDEN"]

    # when the member is taken out, and the group deleted
    removed = await call(client, owner, REMOVE, {"groupId": group_id,
                                                 "userId": gid("User", member.user.id)})
    again = await call(client, owner, REMOVE, {"groupId": group_id,
                                               "userId": gid("User", member.user.id)})
    deleted = await call(client, owner, DELETE, {"id": group_id})

    # then
    assert removed["data"]["removeGroupMember"] == {"group": {"name": "Leads"},
                                                    "userErrors": []}
    assert again["data"]["removeGroupMember"]["userErrors"] == [
        {"field": ["input", "userId"], "code": "NOT_MEMBER"}]
    assert deleted["data"]["deleteGroup"] == {"deletedGroupId": group_id, "userErrors": []}
    listed = await gql(client, GROUPS, {"slug": "acme"}, headers=owner.headers)
    assert listed["data"]["organization"]["groups"]["edges"] == []
    assert [e["action"] for e in await audit_rows(db)][-4:] == [
        "group.add_member", "group.update", "group.remove_member", "group.delete"]


async def test_object_grants_are_listed_filtered_and_revoked(app, client, session, db) -> None:
    # given two groups, and a grant on each to the member
    org, people = await given_org(app, session, "owner", "member")
    owner, member = people["owner"], people["member"]
    first = await create_group(client, owner, org, "A", [])
    second = await create_group(client, owner, org, "B", [])
    for group_id in (first, second):
        body = await call(client, owner, GRANT, {"objectId": group_id,
                                                 "permission": "group:manage",
                                                 "userId": gid("User", member.user.id)})
        assert body["data"]["grantObjectPermission"]["userErrors"] == []

    # when they are listed, all and by object
    everything = await gql(client, GRANTS, {"slug": "acme"}, headers=owner.headers)
    on_first = await gql(client, GRANTS, {"slug": "acme", "filter": {"objectId": first}},
                         headers=owner.headers)

    # then
    grants = [e["node"] for e in everything["data"]["organization"]["objectPermissions"]["edges"]]
    assert [(g["permission"], g["objectId"], g["user"]) for g in grants] == [
        ("group:manage", first, {"username": "member-acme"}),
        ("group:manage", second, {"username": "member-acme"})]
    [only] = on_first["data"]["organization"]["objectPermissions"]["edges"]
    assert only["node"]["objectId"] == first

    # when the first is revoked, then the member may no longer manage that group
    revoked = await call(client, owner, REVOKE_GRANT, {"id": grants[0]["id"]})
    assert revoked["data"]["revokeObjectPermission"] == {
        "revokedObjectPermissionId": grants[0]["id"], "userErrors": []}
    renamed = await call(client, member, UPDATE, {"id": first, "name": "mine"})
    assert error_codes(renamed) == ["FORBIDDEN"]
    still = await call(client, member, UPDATE, {"id": second, "name": "mine"})
    assert still["data"]["updateGroup"]["group"]["name"] == "mine"


async def test_direct_user_permissions_are_granted_listed_and_revoked(
    app, client, session, db
) -> None:
    # given an owner, an admin and a plain member
    org, people = await given_org(app, session, "owner", "admin", "member")
    member = people["member"]
    target = {"organizationId": gid("Organization", org.id),
              "userId": gid("User", member.user.id)}
    add = {"organizationId": gid("Organization", org.id),
           "userId": gid("User", people["outsider"].user.id)}

    # when the owner grants member:manage directly, twice, and an admin grants owner:manage
    granted = await call(client, people["owner"], GRANT_USER, {**target,
                                                                "permission": "member:manage"})
    twice = await call(client, people["owner"], GRANT_USER, {**target,
                                                              "permission": "member:manage"})
    unheld = await call(client, people["admin"], GRANT_USER, {**target,
                                                               "permission": "owner:manage"})

    # then the member holds it (and uses it), listed on the membership
    assert granted["data"]["grantUserPermission"] == {
        "membership": {"permissions": ["member:manage"]}, "userErrors": []}
    assert twice["data"]["grantUserPermission"]["userErrors"] == [
        {"field": ["input", "permission"], "code": "ALREADY_GRANTED"}]
    assert error_codes(unheld) == ["FORBIDDEN"]
    assert (await call(client, member, ADD, add))["data"]["addMember"]["userErrors"] == []

    # when it is revoked, then it is gone at once
    revoked = await call(client, people["owner"], REVOKE_USER, {**target,
                                                                 "permission": "member:manage"})
    missing = await call(client, people["owner"], REVOKE_USER, {**target,
                                                                 "permission": "member:manage"})
    assert revoked["data"]["revokeUserPermission"] == {
        "membership": {"permissions": []}, "userErrors": []}
    assert missing["data"]["revokeUserPermission"]["userErrors"] == [
        {"field": ["input", "permission"], "code": "NOT_GRANTED"}]
    add_again = {**add, "userId": gid("User", people["admin"].user.id)}
    assert error_codes(await call(client, member, ADD, add_again)) == ["FORBIDDEN"]
