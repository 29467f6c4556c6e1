"""suspendUser and reactivateUser."""

from __future__ import annotations

from sqlalchemy import update

from db.models import ApiKey, User
from services.security.api_keys import generate_api_key
from services.security.passwords import hash_password
from tests.graphql import error_codes, gql
from tests.identity.test_organizations import audit_rows, call, gid, given_org

SUSPEND = """
mutation ($input: SuspendUserInput!) {
  suspendUser(input: $input) { user { username status } userErrors { field message code } }
}"""
REACTIVATE = """
mutation ($input: ReactivateUserInput!) {
  reactivateUser(input: $input) { user { username status } userErrors { field message code } }
}"""
LOG_IN = """
mutation ($input: LogInInput!) { logIn(input: $input) { accessToken userErrors { code } } }"""
VIEWER = "{ viewer { username } }"
PASSWORD = "member's password"


async def status_of(client, headers) -> tuple[int, list]:
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
    return response.status_code, error_codes(response.json())


async def test_a_suspended_account_is_stopped_at_once_and_reactivated(
    app, client, superuser_client, session, db
) -> None:
    # given a member with a login session, a password and an API key
    org, people = await given_org(app, session, "owner", "member")
    member = people["member"]
    key, prefix, key_hash = generate_api_key()
    session.add(ApiKey(organization_id=org.id, user_id=member.user.id, name="ci",
                       prefix=prefix, key_hash=key_hash, scopes=[]))
    await session.execute(update(User).where(User.id == member.user.id).values(
        password_hash=hash_password(PASSWORD)))
    await session.commit()
    key_headers = {"authorization": f"Bearer {key}"}
    assert await status_of(client, key_headers) == (200, [])
    target = {"userId": gid("User", member.user.id), "reason": "abuse"}

    # when the owner tries, then a superuser suspends the member
    by_owner = await call(client, people["owner"], SUSPEND, target)
    suspended = await gql(superuser_client, SUSPEND, {"input": target})
    again = await gql(superuser_client, SUSPEND, {"input": target})

    # then only the superuser may; the session, the key and the password stop at once
    assert error_codes(by_owner) == ["FORBIDDEN"]
    assert suspended["data"]["suspendUser"] == {
        "user": {"username": "member-acme", "status": "SUSPENDED"}, "userErrors": []}
    assert [e["code"] for e in again["data"]["suspendUser"]["userErrors"]] == [
        "ALREADY_SUSPENDED"]
    assert await status_of(client, member.headers) == (401, ["SESSION_REVOKED"])
    assert await status_of(client, key_headers) == (401, ["API_KEY_REVOKED"])
    login = {"input": {"login": "member-acme", "password": PASSWORD}}
    assert [e["code"] for e in (await gql(client, LOG_IN, login))["data"]["logIn"][
        "userErrors"]] == ["INVALID_CREDENTIALS"]

    # when the superuser reactivates the account
    reactivated = await gql(superuser_client, REACTIVATE, {"input": {
        "userId": target["userId"]}})

    # then the key works again and the member logs in again (the old session stays ended)
    assert reactivated["data"]["reactivateUser"]["user"]["status"] == "ACTIVE"
    assert await status_of(client, key_headers) == (200, [])
    assert (await gql(client, LOG_IN, login))["data"]["logIn"]["accessToken"]
    assert await status_of(client, member.headers) == (401, ["SESSION_REVOKED"])
    suspension = [e for e in await audit_rows(db) if e["action"] == "user.suspend"]
    assert suspension[0]["new_values"]["reason"] == "abuse"


async def test_a_superuser_cannot_suspend_itself(app, superuser_client, db) -> None:
    [root] = await db.fetch("SELECT id FROM users WHERE username = 'root'")
    body = await gql(superuser_client, SUSPEND, {"input": {"userId": gid("User", root["id"])}})
    assert [e["code"] for e in body["data"]["suspendUser"]["userErrors"]] == ["INVALID"]
    not_suspended = await gql(superuser_client, REACTIVATE, {"input": {
        "userId": gid("User", root["id"])}})
    assert [e["code"] for e in not_suspended["data"]["reactivateUser"]["userErrors"]] == [
        "NOT_SUSPENDED"]
