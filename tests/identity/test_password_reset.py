"""requestPasswordReset and resetPassword, with the mail delivered to a real SMTP server."""

from __future__ import annotations

from sqlalchemy import update

from db.models import User
from services.security.passwords import hash_password
from tests.conftest import bearer_headers
from tests.factories.identity import make_user
from tests.graphql import error_codes, gql
from tests.identity.mail import inbox, mail_app, mail_client, smtp, text_of, token_in

__all__ = ["inbox", "mail_app", "mail_client", "smtp"]  # fixtures

REQUEST = """
mutation ($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { ok userErrors { field message code } }
}"""
RESET = """
mutation ($input: ResetPasswordInput!) {
  resetPassword(input: $input) { user { username } userErrors { field message code } }
}"""
LOG_IN = """
mutation ($input: LogInInput!) {
  logIn(input: $input) { accessToken userErrors { code } }
}"""
VIEWER = "{ viewer { username } }"
OLD, NEW = "the old password!", "a brand new password"
TOKEN_INVALID = [{"field": ["input", "token"],
                  "message": "This reset link is used, expired or unknown: ask for a new one",
                  "code": "RESET_TOKEN_INVALID"}]


async def given_user(session, username: str = "ada", *, locale: str | None = None) -> User:
    user = await make_user(session, username=username)
    await session.execute(update(User).where(User.id == user.id).values(
        password_hash=hash_password(OLD), locale=locale))
    await session.commit()
    return user


async def test_reset_mail_goes_only_to_known_emails_and_resetting_ends_every_session(
    app, mail_app, mail_client, session, db, inbox
) -> None:
    # given ada, logged in on two devices
    ada = await given_user(session)
    devices = [await bearer_headers(mail_app, session, ada) for _ in range(2)]

    # when a reset is asked for an unknown email, then for ada's
    unknown = await gql(mail_client, REQUEST, {"input": {"email": "nobody@example.com"}})
    known = await gql(mail_client, REQUEST, {"input": {"email": " ADA@example.com "}})
    mail = await inbox.next()

    # then both answers are the same, and the one mail is ada's, in English
    assert unknown == known == {"data": {"requestPasswordReset": {"ok": True,
                                                                  "userErrors": []}}}
    assert (mail["To"], mail["Subject"]) == ("ada@example.com", "Reset your AI Platform password")
    assert "expires in 60 minutes" in text_of(mail)
    assert [r["to_address"] for r in await db.fetch("SELECT to_address FROM mail_outbox")] == [
        "ada@example.com"]

    # when ada sets a new password with the mailed token
    token = token_in(mail, "reset-password")
    reset = await gql(mail_client, RESET, {"input": {"token": token, "newPassword": NEW}})

    # then every old session is revoked, the new password works, the old one does not
    assert reset["data"]["resetPassword"] == {"user": {"username": "ada"}, "userErrors": []}
    for headers in devices:
        response = await mail_client.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert response.status_code == 401
        assert error_codes(response.json()) == ["SESSION_REVOKED"]
    logged_in = await gql(mail_client, LOG_IN, {"input": {"login": "ada", "password": NEW}})
    assert logged_in["data"]["logIn"]["accessToken"]
    refused = await gql(mail_client, LOG_IN, {"input": {"login": "ada", "password": OLD}})
    assert [e["code"] for e in refused["data"]["logIn"]["userErrors"]] == ["INVALID_CREDENTIALS"]

    # and the token works once
    again = await gql(mail_client, RESET, {"input": {"token": token, "newPassword": OLD + "x"}})
    assert again["data"]["resetPassword"]["userErrors"] == TOKEN_INVALID
    actions = [r["action"] for r in await db.fetch(
        "SELECT action FROM audit_logs WHERE action LIKE '%password%' ORDER BY created_at")]
    assert actions == ["user.request_password_reset", "user.reset_password"]


async def test_a_chinese_locale_gets_a_chinese_mail(
    app, mail_client, session, db, inbox
) -> None:
    await given_user(session, "mei", locale="zh-CN")

    await gql(mail_client, REQUEST, {"input": {"email": "mei@example.com"}})
    mail = await inbox.next()

    assert mail["Subject"] == "重置您的 AI Platform 密码"
    assert "60 分钟后失效" in text_of(mail)


async def test_expired_unknown_and_superseded_tokens_are_refused(app, client, session, db
                                                                  ) -> None:
    # given two reset mails for ada (the tests' app keeps them in the outbox)
    await given_user(session)
    for _ in range(2):
        await gql(client, REQUEST, {"input": {"email": "ada@example.com"}})
    first, second = [r["text_body"].split("reset-password?token=", 1)[1].split()[0]
                     for r in await db.fetch("SELECT text_body FROM mail_outbox "
                                             "ORDER BY created_at, id")]
    await db.fetch("UPDATE password_resets SET expires_at = now() - interval '1 second' "
                   "WHERE created_at = (SELECT min(created_at) FROM password_resets)")

    # when the expired one, an unknown one, a too-short password and the valid one are tried
    expired = await gql(client, RESET, {"input": {"token": first, "newPassword": NEW}})
    unknown = await gql(client, RESET, {"input": {"token": "nope", "newPassword": NEW}})
    short = await gql(client, RESET, {"input": {"token": second, "newPassword": "short"}})
    valid = await gql(client, RESET, {"input": {"token": second, "newPassword": NEW}})

    # then
    assert expired["data"]["resetPassword"]["userErrors"] == TOKEN_INVALID
    assert unknown["data"]["resetPassword"]["userErrors"] == TOKEN_INVALID
    assert [e["code"] for e in short["data"]["resetPassword"]["userErrors"]] == [
        "PASSWORD_TOO_SHORT"]
    assert valid["data"]["resetPassword"]["user"] == {"username": "ada"}


async def test_requests_are_limited_per_email(app, client, session, db) -> None:
    # given the limit of requests per email and hour
    limit = app.state.settings.password_reset_per_hour_email

    # when one more than that is asked for the same (unknown) email
    answers = [await gql(client, REQUEST, {"input": {"email": "limited@example.com"}})
               for _ in range(limit + 1)]
    other = await gql(client, REQUEST, {"input": {"email": "other@example.com"}})

    # then the last is refused with a time to wait; another email is not affected
    assert all(a["data"]["requestPasswordReset"]["ok"] for a in answers[:limit])
    assert answers[-1]["data"] is None
    [error] = answers[-1]["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["retryAfter"] > 0
    assert other["data"]["requestPasswordReset"]["ok"] is True
