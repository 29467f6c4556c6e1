"""Accounts and logins through the API: sign up, log in, tokens, refresh, log out, passwords,
the audit trail they leave, `aiplatform create-superuser` and the demo password."""

from __future__ import annotations

from pathlib import Path

from services.security.passwords import hash_password
from services.security.tokens import decode_access_token, issue_access_token
from services.settings import secret_key
from tests.factories.identity import make_user
from tests.graphql import error_codes, gql

ROOT = Path(__file__).resolve().parent.parent.parent

SIGN_UP = """
mutation ($input: SignUpInput!) {
  signUp(input: $input) { user { username email } accessToken refreshToken
                          userErrors { field message code } }
}"""
LOG_IN = """
mutation ($input: LogInInput!) {
  logIn(input: $input) { user { username } accessToken refreshToken
                         userErrors { field message code } }
}"""
REFRESH = """
mutation ($input: RefreshTokenInput!) {
  refreshToken(input: $input) { accessToken refreshToken userErrors { field message code } }
}"""
LOG_OUT = "mutation { logOut { ok userErrors { code } } }"
LOG_OUT_EVERYWHERE = "mutation { logOutEverywhere { ok userErrors { code } } }"
CHANGE_PASSWORD = """
mutation ($input: ChangePasswordInput!) {
  changePassword(input: $input) { ok userErrors { field message code } }
}"""
VIEWER = "{ viewer { username isSuperuser } }"

PASSWORD = "correct horse battery"
BAD_LOGIN = [{"field": None, "message": "Wrong login or password", "code": "INVALID_CREDENTIALS"}]
SESSION_ENDED = {"errors": [{"message": "This session has ended: log in again",
                             "extensions": {"code": "SESSION_REVOKED"}}]}


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def sign_up(client, email="ada@example.com", username="ada", password=PASSWORD) -> dict:
    body = await gql(client, SIGN_UP, {"input": {
        "email": email, "username": username, "password": password}})
    return body["data"]["signUp"]


async def log_in(client, login: str, password: str = PASSWORD) -> dict:
    body = await gql(client, LOG_IN, {"input": {"login": login, "password": password}})
    return body["data"]["logIn"]


async def refresh(client, token: str) -> dict:
    return (await gql(client, REFRESH, {"input": {"refreshToken": token}}))["data"]["refreshToken"]


async def viewer(client, token: str):
    """The viewer's username, or the refusal (HTTP status, body) for an unusable token."""
    response = await client.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    if response.status_code != 200:
        return response.status_code, response.json()
    return response.json()["data"]["viewer"]["username"]


async def value(db, sql: str, *args):
    """The first column of the first row."""
    return (await db.fetch(sql, *args))[0][0]


async def counts(db) -> dict[str, int]:
    return {t: await value(db, f"SELECT count(*) FROM {t}")
            for t in ("users", "user_sessions", "audit_logs")}


# ------------------------------------------------------------------ sign up and log in

async def test_sign_up_then_log_in_by_email_and_by_username(client, db) -> None:
    signed = await sign_up(client, email=" Ada@Example.com ")
    by_email = await log_in(client, "ADA@example.com")
    by_username = await log_in(client, "ada")

    assert signed["user"] == {"username": "ada", "email": "ada@example.com"}
    assert signed["userErrors"] == []
    for payload in (by_email, by_username):
        assert payload["user"] == {"username": "ada"}
        assert payload["userErrors"] == []
    tokens = [p["accessToken"] for p in (signed, by_email, by_username)]
    assert [await viewer(client, t) for t in tokens] == ["ada", "ada", "ada"]
    assert await value(db, "SELECT count(*) FROM user_sessions") == 3
    assert await value(db, "SELECT last_login_at IS NOT NULL FROM users") is True
    # only hashes are stored
    stored = await db.fetch("SELECT token_hash, refresh_token_hash FROM user_sessions")
    assert not {t for row in stored for t in row} & set(tokens)


async def test_wrong_password_unknown_login_and_disabled_account_answer_alike(
    client, session
) -> None:
    await sign_up(client)
    disabled = await make_user(session, username="gone")
    disabled.password_hash, disabled.status = hash_password(PASSWORD), "inactive"
    await session.commit()

    wrong_password = await log_in(client, "ada@example.com", "not the password")
    unknown_email = await log_in(client, "nobody@example.com")
    unknown_username = await log_in(client, "nobody")
    inactive = await log_in(client, "gone")

    for payload in (wrong_password, unknown_email, unknown_username, inactive):
        assert payload == {"user": None, "accessToken": None, "refreshToken": None,
                           "userErrors": BAD_LOGIN}


async def test_invalid_sign_up_reports_every_problem_and_writes_nothing(client, db) -> None:
    before = await counts(db)

    bad = await sign_up(client, email="not-an-email", username="a b", password="short")
    similar = await sign_up(client, email="bob@example.com", username="bobbybobby",
                            password="BobbyBobby")

    assert bad["userErrors"] == [
        {"field": ["input", "email"], "message": "Enter a valid email address",
         "code": "INVALID_EMAIL"},
        {"field": ["input", "username"], "message": "Use 3 to 150 letters, digits, `_`, `.` or `-`",
         "code": "INVALID_USERNAME"},
        {"field": ["input", "password"], "message": "Use at least 10 characters",
         "code": "PASSWORD_TOO_SHORT"},
    ]
    assert similar["userErrors"] == [{
        "field": ["input", "password"], "code": "PASSWORD_TOO_SIMILAR",
        "message": "The password must not be your username or email"}]
    assert bad["user"] is None and bad["accessToken"] is None
    assert await counts(db) == before == {"users": 0, "user_sessions": 0, "audit_logs": 0}


async def test_taken_email_or_username_is_reported_on_sign_up(client, db) -> None:
    await sign_up(client)
    before = await counts(db)

    same_email = await sign_up(client, email="ADA@example.com", username="ada2")
    same_username = await sign_up(client, email="ada2@example.com", username="ada")

    assert same_email["userErrors"] == [{"field": ["input", "email"], "code": "TAKEN",
                                         "message": "This email is already taken"}]
    assert same_username["userErrors"] == [{"field": ["input", "username"], "code": "TAKEN",
                                            "message": "This username is already taken"}]
    assert await counts(db) == before


# ------------------------------------------------------------------ access tokens

async def test_expired_access_token_is_refused_with_token_expired(client, app) -> None:
    token = (await sign_up(client))["accessToken"]
    key = secret_key(app.state.settings)
    claims = decode_access_token(key, token)
    expired = issue_access_token(key, user_id=claims.user_id, session_id=claims.session_id,
                                 ttl_seconds=-60)

    assert await viewer(client, expired) == (401, {"errors": [{
        "message": "The access token has expired: refresh it",
        "extensions": {"code": "TOKEN_EXPIRED"}}]})


async def test_tampered_access_token_is_refused_with_token_invalid(client) -> None:
    token = (await sign_up(client))["accessToken"]
    header, payload, signature = token.split(".")
    flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]

    assert await viewer(client, f"{header}.{payload}.{flipped}") == (401, {"errors": [{
        "message": "The access token is invalid", "extensions": {"code": "TOKEN_INVALID"}}]})


# ------------------------------------------------------------------ refresh and log out

async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(
    client, db
) -> None:
    first = await sign_up(client)

    second = await refresh(client, first["refreshToken"])
    new_token_works = await viewer(client, second["accessToken"])
    replay = await refresh(client, first["refreshToken"])

    assert second["userErrors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    assert new_token_works == "ada"
    assert replay == {"accessToken": None, "refreshToken": None, "userErrors": [{
        "field": ["input", "refreshToken"], "code": "REFRESH_TOKEN_REUSED",
        "message": "This refresh token was already used; the session is now revoked: log in "
                   "again"}]}
    assert await value(db, "SELECT revoked_at IS NOT NULL FROM user_sessions") is True
    assert await viewer(client, second["accessToken"]) == (401, SESSION_ENDED)
    assert (await refresh(client, second["refreshToken"]))["userErrors"] == [{
        "field": ["input", "refreshToken"], "code": "SESSION_REVOKED",
        "message": "This session has ended: log in again"}]


async def test_malformed_or_unknown_refresh_token_is_invalid(client) -> None:
    session_id = "00000000-0000-4000-8000-000000000000"
    for token in ("garbage", f"{session_id}.secret", f"{session_id}."):
        assert (await refresh(client, token))["userErrors"] == [{
            "field": ["input", "refreshToken"], "code": "REFRESH_TOKEN_INVALID",
            "message": "This is not a refresh token"}], token


async def test_a_forged_refresh_token_for_a_known_session_is_invalid_and_revokes_nothing(
    client, db
) -> None:
    # given a live session, whose id anyone holding its access token can read
    tokens = await sign_up(client)
    session_id, secret, _ = tokens["refreshToken"].split(".")

    # when refresh tokens are forged around that id
    forged = [f"{session_id}.{secret}", f"{session_id}.guess.AAAAAAAAAAAAAAAAAAAAAA",
              f"{session_id}.{secret}.AAAAAAAAAAAAAAAAAAAAAA"]
    answers = [(await refresh(client, token))["userErrors"] for token in forged]

    # then each is refused as invalid, and the session and its refresh token still work
    assert answers == [[{"field": ["input", "refreshToken"], "code": "REFRESH_TOKEN_INVALID",
                         "message": "This is not a refresh token"}]] * 3
    assert await value(db, "SELECT revoked_at IS NULL FROM user_sessions") is True
    assert await viewer(client, tokens["accessToken"]) == "ada"
    assert (await refresh(client, tokens["refreshToken"]))["userErrors"] == []


async def test_log_out_ends_only_the_current_session(client) -> None:
    here = (await sign_up(client))["accessToken"]
    elsewhere = (await log_in(client, "ada"))["accessToken"]

    body = await gql(client, LOG_OUT, headers=bearer(here))

    assert body == {"data": {"logOut": {"ok": True, "userErrors": []}}}
    assert await viewer(client, here) == (401, SESSION_ENDED)
    assert await viewer(client, elsewhere) == "ada"


async def test_log_out_everywhere_ends_every_session(client) -> None:
    here = await sign_up(client)
    elsewhere = await log_in(client, "ada")

    body = await gql(client, LOG_OUT_EVERYWHERE, headers=bearer(here["accessToken"]))

    assert body == {"data": {"logOutEverywhere": {"ok": True, "userErrors": []}}}
    assert await viewer(client, here["accessToken"]) == (401, SESSION_ENDED)
    assert await viewer(client, elsewhere["accessToken"]) == (401, SESSION_ENDED)
    assert (await refresh(client, elsewhere["refreshToken"]))["userErrors"][0]["code"] \
        == "SESSION_REVOKED"


async def test_session_mutations_need_a_login(client, db) -> None:
    for document in (LOG_OUT, LOG_OUT_EVERYWHERE):
        body = await gql(client, document)
        assert body["data"] is None
        assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await counts(db) == {"users": 0, "user_sessions": 0, "audit_logs": 0}


# ------------------------------------------------------------------ passwords

async def test_change_password_checks_the_current_one_and_ends_other_sessions(client) -> None:
    here = (await sign_up(client))["accessToken"]
    elsewhere = (await log_in(client, "ada"))["accessToken"]
    change = {"currentPassword": "not the password", "newPassword": "a brand new secret"}

    wrong = await gql(client, CHANGE_PASSWORD, {"input": change}, headers=bearer(here))
    change["currentPassword"] = PASSWORD
    changed = await gql(client, CHANGE_PASSWORD, {"input": change}, headers=bearer(here))

    assert wrong["data"]["changePassword"] == {"ok": False, "userErrors": [{
        "field": ["input", "currentPassword"], "message": "The current password is wrong",
        "code": "INVALID_CREDENTIALS"}]}
    assert changed["data"]["changePassword"] == {"ok": True, "userErrors": []}
    assert (await log_in(client, "ada"))["userErrors"] == BAD_LOGIN
    assert (await log_in(client, "ada", "a brand new secret"))["userErrors"] == []
    assert await viewer(client, here) == "ada"
    assert await viewer(client, elsewhere) == (401, SESSION_ENDED)


# ------------------------------------------------------------------ audit trail

async def test_every_successful_mutation_writes_one_audit_row_without_secrets(
    client, db
) -> None:
    secrets = [PASSWORD, "a brand new secret"]
    state: dict = {}

    async def audited(document: str, variables: dict | None = None) -> list[tuple]:
        """Run one mutation as the current session; the audit rows it added."""
        before = await value(db, "SELECT count(*) FROM audit_logs")
        token = state.get("accessToken")
        body = await gql(client, document, variables, headers=bearer(token) if token else None)
        payload = next(iter(body["data"].values()))
        assert payload["userErrors"] == []
        for name in ("accessToken", "refreshToken"):
            if payload.get(name):
                state[name] = payload[name]
                secrets.append(payload[name])
        return [tuple(r) for r in await db.fetch(
            "SELECT action, resource_type, user_id IS NOT NULL, ip_address IS NOT NULL "
            "FROM audit_logs ORDER BY created_at, id OFFSET $1", before)]

    new_password = {"currentPassword": PASSWORD, "newPassword": "a brand new secret"}
    assert await audited(SIGN_UP, {"input": {"email": "ada@example.com", "username": "ada",
                                             "password": PASSWORD}}) == [
        ("user.sign_up", "user", True, True)]
    assert await audited(LOG_IN, {"input": {"login": "ada", "password": PASSWORD}}) == [
        ("session.log_in", "user_session", True, True)]
    assert await audited(REFRESH, {"input": {"refreshToken": state["refreshToken"]}}) == [
        ("session.refresh", "user_session", True, True)]
    assert await audited(CHANGE_PASSWORD, {"input": new_password}) == [
        ("user.change_password", "user", True, True)]
    assert await audited(LOG_OUT) == [("session.log_out", "user_session", True, True)]
    state.clear()
    assert await audited(LOG_IN, {"input": {"login": "ada", "password": "a brand new secret"}}
                         ) == [("session.log_in", "user_session", True, True)]
    assert await audited(LOG_OUT_EVERYWHERE) == [
        ("session.log_out_everywhere", "user", True, True)]

    dump = await value(db, "SELECT string_agg(t::text, '|') FROM audit_logs t")
    # whole secrets, and the secret part of tokens (a refresh token starts with the session id)
    parts = {p for s in secrets for p in (s, s.rpartition(".")[2])}
    assert len(secrets) == 2 + 4 * 2  # passwords; 4 payloads with two tokens each
    assert [p for p in parts if p in dump] == []
