"""Members through the API: adding, inviting, roles, the one-owner rule, leaving, and the
principal cache after a membership changes (same token, next request)."""

from __future__ import annotations

from tests.factories.identity import make_user
from tests.graphql import error_codes, gql
from tests.identity.test_organizations import (
    ADD,
    INVITE,
    LAST_OWNER,
    MY_ORGS,
    NODE,
    REMOVE,
    UPDATE,
    UPDATE_ROLE,
    audit_rows,
    call,
    gid,
    given_org,
    roles_in,
    state,
)


async def test_admin_adds_and_removes_members(app, client, session, db) -> None:
    # given an admin and a user outside the organization
    org, people = await given_org(app, session, "owner", "admin")
    newcomer = people["outsider"].user

    # when
    added = await call(client, people["admin"], ADD, {
        "organizationId": gid("Organization", org.id), "userId": gid("User", newcomer.id),
        "role": "VIEWER"})
    membership_id = added["data"]["addMember"]["membership"]["id"]
    again = await call(client, people["admin"], ADD, {
        "organizationId": gid("Organization", org.id), "userId": gid("User", newcomer.id)})
    removed = await call(client, people["admin"], REMOVE, {"membershipId": membership_id})

    # then
    assert added["data"]["addMember"] == {"userErrors": [], "membership": {
        "id": membership_id, "role": "VIEWER", "user": {"username": "outsider-acme"}}}
    assert again["data"]["addMember"] == {"membership": None, "userErrors": [
        {"field": ["input", "userId"], "code": "ALREADY_MEMBER"}]}
    assert removed["data"]["removeMember"] == {"removedMembershipId": membership_id,
                                               "userErrors": []}
    assert await roles_in(db, org) == {"owner-acme": "owner", "admin-acme": "admin"}
    entries = await audit_rows(db)
    assert [(e["action"], e["user_id"], e["old_values"], e["new_values"]) for e in entries] == [
        ("membership.create", people["admin"].user.id, None,
         {"user_id": str(newcomer.id), "role": "viewer"}),
        ("membership.delete", people["admin"].user.id,
         {"user_id": str(newcomer.id), "role": "viewer"}, None)]

async def test_member_cannot_add_members(app, client, session, db) -> None:
    org, people = await given_org(app, session, "member")
    before = await state(db)

    body = await call(client, people["member"], ADD, {
        "organizationId": gid("Organization", org.id),
        "userId": gid("User", people["outsider"].user.id)})

    assert (body["data"], error_codes(body)) == (None, ["FORBIDDEN"])
    assert await state(db) == before

async def test_only_owners_make_owners(app, client, session, db) -> None:
    # given an owner, an admin and a member
    org, people = await given_org(app, session, "owner", "admin", "member")
    member_id = gid("Membership", people["member"].membership.id)
    owner_id = gid("Membership", people["owner"].membership.id)
    before = await state(db)

    # when the admin tries to add an owner, promote to owner, demote or remove the owner
    refused = [
        await call(client, people["admin"], ADD, {
            "organizationId": gid("Organization", org.id),
            "userId": gid("User", people["outsider"].user.id), "role": "OWNER"}),
        await call(client, people["admin"], UPDATE_ROLE, {"membershipId": member_id,
                                                          "role": "OWNER"}),
        await call(client, people["admin"], UPDATE_ROLE, {"membershipId": owner_id,
                                                          "role": "MEMBER"}),
        await call(client, people["admin"], REMOVE, {"membershipId": owner_id}),
    ]
    after_refusals = await state(db)
    # and the owner promotes the member
    promoted = await call(client, people["owner"], UPDATE_ROLE, {"membershipId": member_id,
                                                                 "role": "OWNER"})

    # then
    assert [(b["data"], error_codes(b)) for b in refused] == [(None, ["FORBIDDEN"])] * 4
    assert [b["errors"][0]["extensions"]["permission"] for b in refused] == ["owner:manage"] * 4
    assert after_refusals == before
    assert promoted["data"]["updateMemberRole"] == {"membership": {"role": "OWNER"},
                                                    "userErrors": []}
    assert await roles_in(db, org) == {"owner-acme": "owner", "admin-acme": "admin",
                                       "member-acme": "owner"}
    [entry] = await audit_rows(db)
    assert (entry["action"], entry["old_values"], entry["new_values"]) == (
        "membership.update_role", {"user_id": str(people["member"].user.id), "role": "member"},
        {"user_id": str(people["member"].user.id), "role": "owner"})

async def test_the_last_owner_can_be_neither_demoted_nor_removed(
    app, client, session, db
) -> None:
    # given a sole owner
    org, people = await given_org(app, session, "owner", "owner2")
    owner, second = people["owner"], people["owner2"]
    await call(client, second, REMOVE, {"membershipId": gid("Membership",
                                                              second.membership.id)})
    before = await state(db)
    own_id = gid("Membership", owner.membership.id)

    # when
    demoted = await call(client, owner, UPDATE_ROLE, {"membershipId": own_id, "role": "ADMIN"})
    removed = await call(client, owner, REMOVE, {"membershipId": own_id})

    # then
    assert demoted["data"]["updateMemberRole"] == {"membership": None, "userErrors": [
        {"field": ["input", "role"], "message": LAST_OWNER, "code": "LAST_OWNER"}]}
    assert removed["data"]["removeMember"] == {"removedMembershipId": None, "userErrors": [
        {"field": ["input", "membershipId"], "message": LAST_OWNER, "code": "LAST_OWNER"}]}
    assert await state(db) == before
    assert await roles_in(db, org) == {"owner-acme": "owner"}

async def test_a_member_may_leave(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner", "viewer")
    own_id = gid("Membership", people["viewer"].membership.id)

    body = await call(client, people["viewer"], REMOVE, {"membershipId": own_id})

    assert body["data"]["removeMember"] == {"removedMembershipId": own_id, "userErrors": []}
    assert await roles_in(db, org) == {"owner-acme": "owner"}
    [entry] = await audit_rows(db)
    assert (entry["action"], entry["user_id"]) == ("membership.delete",
                                                   people["viewer"].user.id)

async def test_invite_mails_an_invitation_to_new_and_existing_emails_alike(
    app, client, session, db
) -> None:
    # given an admin, a user "sam" who is not a member yet, and "kim" who is
    org, people = await given_org(app, session, "owner", "admin")
    await make_user(session, username="sam")
    await session.commit()
    org_id = gid("Organization", org.id)

    # when
    new = await call(client, people["admin"], INVITE, {
        "organizationId": org_id, "email": " New.Person@Example.COM ", "role": "MEMBER"})
    existing = await call(client, people["admin"], INVITE, {"organizationId": org_id,
                                                            "email": "SAM@example.com"})
    member = await call(client, people["admin"], INVITE, {"organizationId": org_id,
                                                          "email": "owner-acme@example.com"})
    bad = await call(client, people["admin"], INVITE, {"organizationId": org_id,
                                                       "email": "not-an-email"})

    # then both get an invitation (no account, no membership yet) and a mail
    assert new["data"]["inviteMember"] == {"userErrors": [], "invitation": {
        "email": "new.person@example.com", "role": "MEMBER"}}
    assert existing["data"]["inviteMember"] == {"userErrors": [], "invitation": {
        "email": "sam@example.com", "role": "MEMBER"}}
    assert member["data"]["inviteMember"]["userErrors"] == [
        {"field": ["input", "email"], "message": "Already a member of this organization",
         "code": "ALREADY_MEMBER"}]
    assert bad["data"]["inviteMember"]["userErrors"] == [
        {"field": ["input", "email"], "message": "Not an email address", "code": "INVALID"}]
    assert "sam" not in await roles_in(db, org)
    assert not await db.fetch("SELECT 1 FROM users WHERE email = 'new.person@example.com'")
    mails = await db.fetch("SELECT to_address, kind FROM mail_outbox ORDER BY created_at")
    assert [tuple(m) for m in mails] == [("new.person@example.com", "invitation"),
                                         ("sam@example.com", "invitation")]
    entries = await audit_rows(db)
    assert [(e["action"], e["new_values"]["email"], e["new_values"]["existing_account"])
            for e in entries] == [("invitation.create", "new.person@example.com", False),
                                  ("invitation.create", "sam@example.com", True)]

async def test_a_removed_member_loses_access_with_the_same_token(
    app, client, session, db
) -> None:
    # given a member whose principal the server has cached
    org, people = await given_org(app, session, "owner", "member")
    member = people["member"]
    assert (await gql(client, MY_ORGS, headers=member.headers))["data"] == {
        "organizations": {"edges": [{"node": {"slug": "acme"}}]}}

    # when the owner removes them
    await call(client, people["owner"], REMOVE, {
        "membershipId": gid("Membership", member.membership.id)})

    # then the very same token sees nothing of the organization
    after = await gql(client, MY_ORGS, headers=member.headers)
    node = await gql(client, NODE, {"id": gid("Organization", org.id)}, headers=member.headers)
    assert after["data"] == {"organizations": {"edges": []}}
    assert (node["data"], error_codes(node)) == ({"node": None}, ["NOT_FOUND"])

async def test_a_new_role_applies_to_the_next_request(app, client, session, db) -> None:
    # given a viewer whose principal the server has cached, refused an update
    org, people = await given_org(app, session, "owner", "viewer")
    viewer = people["viewer"]
    update = {"id": gid("Organization", org.id), "description": "by viewer"}
    assert error_codes(await call(client, viewer, UPDATE, update)) == ["FORBIDDEN"]

    # when the owner makes them an admin
    await call(client, people["owner"], UPDATE_ROLE, {
        "membershipId": gid("Membership", viewer.membership.id), "role": "ADMIN"})

    # then the same token may update
    body = await call(client, viewer, UPDATE, update)
    assert body["data"]["updateOrganization"]["organization"]["description"] == "by viewer"
