"""updateProfile, viewer.sessions and revokeSession."""

from __future__ import annotations

from tests.conftest import bearer_headers
from tests.factories.datasets import make_file
from tests.factories.identity import make_organization
from tests.graphql import error_codes, gql
from tests.identity.test_organizations import audit_rows, gid, given_org

UPDATE = """
mutation ($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    user { firstName lastName locale preferences avatarFile { id } }
    userErrors { field message code }
  }
}"""
SESSIONS = "{ viewer { sessions(first: 10) { totalCount edges { node { id current } } } } }"
REVOKE = """
mutation ($input: RevokeSessionInput!) {
  revokeSession(input: $input) { revokedSessionId userErrors { code } }
}"""
COLLEAGUES = """
query ($slug: String!) {
  organization(slug: $slug) { members { edges { node { user { username locale preferences } } } } }
}"""


async def test_only_the_fields_passed_change(app, client, session, db) -> None:
    # given a member of Acme and a file of Acme
    org, people = await given_org(app, session, "owner", "member")
    file = await make_file(session, organization=org)
    await session.commit()
    me = people["member"].headers

    # when the profile is changed in two steps
    first = await gql(client, UPDATE, {"input": {
        "firstName": " Mei ", "lastName": "Lin", "locale": "zh_cn",
        "avatarFileId": gid("File", file.id), "preferences": {"theme": "dark"}}}, headers=me)
    second = await gql(client, UPDATE, {"input": {"lastName": None}}, headers=me)

    # then the first sets everything (the locale in canonical form), the second one field
    assert first["data"]["updateProfile"] == {"userErrors": [], "user": {
        "firstName": "Mei", "lastName": "Lin", "locale": "zh-CN",
        "preferences": {"theme": "dark"}, "avatarFile": {"id": gid("File", file.id)}}}
    assert second["data"]["updateProfile"]["user"] == {
        "firstName": "Mei", "lastName": None, "locale": "zh-CN",
        "preferences": {"theme": "dark"}, "avatarFile": {"id": gid("File", file.id)}}
    assert [e["action"] for e in await audit_rows(db)] == ["user.update_profile"] * 2

    # and colleagues see the language but not the preferences
    members = await gql(client, COLLEAGUES, {"slug": "acme"}, headers=people["owner"].headers)
    users = {e["node"]["user"]["username"]: e["node"]["user"]
             for e in members["data"]["organization"]["members"]["edges"]}
    assert users["member-acme"] == {"username": "member-acme", "locale": "zh-CN",
                                    "preferences": None}


async def test_bad_values_and_foreign_files_are_refused(app, client, session, db) -> None:
    _, people = await given_org(app, session, "member")
    other = await make_organization(session, slug="other")
    foreign = await make_file(session, organization=other)
    await session.commit()
    me = people["member"].headers

    bad = await gql(client, UPDATE, {"input": {"locale": "not a locale", "firstName": "x" * 151,
                                               "preferences": [1]}}, headers=me)
    stolen = await gql(client, UPDATE, {"input": {"avatarFileId": gid("File", foreign.id)}},
                       headers=me)
    anonymous = await gql(client, UPDATE, {"input": {"firstName": "Eve"}})

    assert sorted(e["code"] for e in bad["data"]["updateProfile"]["userErrors"]) == [
        "INVALID", "INVALID", "INVALID_LOCALE"]
    assert error_codes(stolen) == ["NOT_FOUND"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await audit_rows(db) == []


async def test_a_user_lists_and_ends_their_own_sessions(app, client, session, db) -> None:
    # given a member logged in on a laptop and a phone, and a colleague
    _, people = await given_org(app, session, "member", "owner")
    laptop = people["member"].headers
    phone = await bearer_headers(app, session, people["member"].user)

    # when the laptop lists the sessions
    listed = await gql(client, SESSIONS, headers=laptop)
    sessions = [e["node"] for e in listed["data"]["viewer"]["sessions"]["edges"]]

    # then both are there, newest first, the laptop's marked current
    assert [s["current"] for s in sessions] == [False, True]
    phone_session = sessions[0]["id"]

    # when the laptop ends the phone's session, and the colleague tries to end the laptop's
    revoked = await gql(client, REVOKE, {"input": {"id": phone_session}}, headers=laptop)
    colleague = await gql(client, REVOKE, {"input": {"id": sessions[1]["id"]}},
                          headers=people["owner"].headers)

    # then the phone is logged out, the laptop is not, and only one session is listed
    assert revoked["data"]["revokeSession"] == {"revokedSessionId": phone_session,
                                                "userErrors": []}
    assert error_codes(colleague) == ["NOT_FOUND"]
    response = await client.post("/graphql", json={"query": SESSIONS}, headers=phone)
    assert response.status_code == 401 and error_codes(response.json()) == ["SESSION_REVOKED"]
    after = await gql(client, SESSIONS, headers=laptop)
    assert after["data"]["viewer"]["sessions"]["totalCount"] == 1
    again = await gql(client, REVOKE, {"input": {"id": phone_session}}, headers=laptop)
    assert error_codes(again) == ["NOT_FOUND"]
