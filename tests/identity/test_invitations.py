"""inviteMember, acceptInvitation, revokeInvitation and Organization.invitations, with the mail
delivered to a real SMTP server."""

from __future__ import annotations

from sqlalchemy import update

from db.models import Organization, User
from tests.graphql import error_codes, gql
from tests.identity.mail import (
    PUBLIC_URL,
    html_of,
    inbox,
    mail_app,
    mail_client,
    smtp,
    text_of,
    token_in,
)
from tests.identity.test_organizations import audit_rows, call, gid, given_org, roles_in

__all__ = ["inbox", "mail_app", "mail_client", "smtp"]  # fixtures

INVITE = """
mutation ($input: InviteMemberInput!) {
  inviteMember(input: $input) { invitation { id email role } userErrors { field message code } }
}"""
ACCEPT = """
mutation ($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) {
    user { username email status } accessToken refreshToken userErrors { field message code }
  }
}"""
REVOKE = """
mutation ($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { revokedInvitationId userErrors { code } }
}"""
INVITATIONS = """
query ($slug: String!) {
  organization(slug: $slug) {
    invitations { totalCount edges { node { email role inviter { username } } } }
  }
}"""
ORGANIZATION = """
query ($slug: String!) {
  organization(slug: $slug) { name members { edges { node { role user { username } } } } }
}"""
PASSWORD = "a long new password"
TOKEN_INVALID = [{"field": ["input", "token"],
                  "message": "This invitation is used, revoked, expired or unknown: ask for a "
                             "new one", "code": "INVITATION_TOKEN_INVALID"}]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_an_invitation_mail_link_is_accepted_and_the_new_member_reads_the_organization(
    app, mail_client, session, db, inbox
) -> None:
    # given an owner of Acme
    org, people = await given_org(app, session, "owner")

    # when the owner invites a new email as a member, and the mail arrives
    invited = await call(mail_client, people["owner"], INVITE, {
        "organizationId": gid("Organization", org.id), "email": "Newcomer@Example.com",
        "role": "MEMBER"})
    mail = await inbox.next()

    # then it is an English mail with a plain and an HTML body holding the same link
    assert invited["data"]["inviteMember"]["userErrors"] == []
    assert (mail["To"], mail["Subject"]) == ("newcomer@example.com",
                                             "You are invited to Acme on AI Platform")
    assert "owner-acme invited you to join Acme as member." in text_of(mail)
    assert "<a href=" in html_of(mail)
    token = token_in(mail, "accept-invitation")
    assert f"{PUBLIC_URL}/accept-invitation?token={token}" in text_of(mail)
    listed = await gql(mail_client, INVITATIONS, {"slug": "acme"},
                       headers=people["owner"].headers)
    assert listed["data"]["organization"]["invitations"] == {"totalCount": 1, "edges": [
        {"node": {"email": "newcomer@example.com", "role": "MEMBER",
                  "inviter": {"username": "owner-acme"}}}]}

    # when the newcomer accepts it with a username and a password
    accepted = await gql(mail_client, ACCEPT, {"input": {
        "token": token, "username": "newcomer", "password": PASSWORD}})

    # then the account is active, logged in, and reads the organization as a member
    payload = accepted["data"]["acceptInvitation"]
    assert payload["userErrors"] == [] and payload["refreshToken"]
    assert payload["user"] == {"username": "newcomer", "email": "newcomer@example.com",
                               "status": "ACTIVE"}
    body = await gql(mail_client, ORGANIZATION, {"slug": "acme"},
                     headers=bearer(payload["accessToken"]))
    assert body["data"]["organization"]["name"] == "Acme"
    assert await roles_in(db, org) == {"owner-acme": "owner", "newcomer": "member"}

    # and the link works once: no longer pending, a second use is refused
    again = await gql(mail_client, ACCEPT, {"input": {
        "token": token, "username": "someone-else", "password": PASSWORD}})
    assert again["data"]["acceptInvitation"]["userErrors"] == TOKEN_INVALID
    listed = await gql(mail_client, INVITATIONS, {"slug": "acme"},
                       headers=people["owner"].headers)
    assert listed["data"]["organization"]["invitations"]["totalCount"] == 0
    assert [e["action"] for e in await audit_rows(db)] == ["invitation.create",
                                                           "invitation.accept"]


async def test_an_existing_account_accepts_with_its_password_in_its_language(
    app, mail_client, session, db, inbox
) -> None:
    # given an owner of Acme and "mei" with an account elsewhere, who reads Chinese
    org, people = await given_org(app, session, "owner")
    mei = people["outsider"]
    await session.execute(update(User).where(User.id == mei.user.id).values(
        locale="zh-CN", password_hash=_hash(PASSWORD)))
    await session.commit()

    # when she is invited as a viewer
    await call(mail_client, people["owner"], INVITE, {
        "organizationId": gid("Organization", org.id), "email": mei.user.email,
        "role": "VIEWER"})
    mail = await inbox.next()
    token = token_in(mail, "accept-invitation")
    wrong = await gql(mail_client, ACCEPT, {"input": {"token": token, "password": "not hers!!"}})
    right = await gql(mail_client, ACCEPT, {"input": {"token": token, "password": PASSWORD}})

    # then the mail is in Chinese, and only her own password joins her
    assert mail["Subject"] == "邀请您加入 AI Platform 上的 Acme"
    assert "以 访客 身份加入 Acme" in text_of(mail)
    assert error_codes(wrong) == [] and [e["code"] for e in
                                         wrong["data"]["acceptInvitation"]["userErrors"]] == [
        "INVALID_CREDENTIALS"]
    assert right["data"]["acceptInvitation"]["user"]["username"] == mei.user.username
    assert (await roles_in(db, org))[mei.user.username] == "viewer"


async def test_the_organizations_language_is_used_for_a_new_email(
    app, mail_client, session, db, inbox
) -> None:
    org, people = await given_org(app, session, "owner")
    await session.execute(update(Organization).where(Organization.id == org.id).values(
        settings={"locale": "zh-Hans-CN"}))
    await session.commit()

    await call(mail_client, people["owner"], INVITE, {
        "organizationId": gid("Organization", org.id), "email": "li@example.com"})
    mail = await inbox.next()

    assert mail["Subject"] == "邀请您加入 AI Platform 上的 Acme"
    assert "此链接只能使用一次，7 天后失效" in text_of(mail)


async def test_revoked_expired_and_unknown_tokens_are_refused(app, client, session, db) -> None:
    # given two invitations, one then revoked and one expired
    org, people = await given_org(app, session, "owner", "viewer")
    org_id = gid("Organization", org.id)
    revoked = await call(client, people["owner"], INVITE, {"organizationId": org_id,
                                                           "email": "one@example.com"})
    await call(client, people["owner"], INVITE, {"organizationId": org_id,
                                                 "email": "two@example.com"})
    tokens = await _outbox_tokens(db)
    invitation_id = revoked["data"]["inviteMember"]["invitation"]["id"]
    by_viewer = await call(client, people["viewer"], REVOKE, {"id": invitation_id})
    by_owner = await call(client, people["owner"], REVOKE, {"id": invitation_id})
    await db.fetch("UPDATE invitations SET expires_at = now() - interval '1 second' "
                   "WHERE email = 'two@example.com'")

    # when each token is tried, and one nobody issued
    answers = [await gql(client, ACCEPT, {"input": {
        "token": token, "username": "newcomer", "password": PASSWORD}})
        for token in [*tokens.values(), "not-a-token"]]

    # then a viewer may not revoke, the owner may, and every token is INVITATION_TOKEN_INVALID
    assert error_codes(by_viewer) == ["FORBIDDEN"]
    assert by_owner["data"]["revokeInvitation"] == {"revokedInvitationId": invitation_id,
                                                    "userErrors": []}
    assert [a["data"]["acceptInvitation"]["userErrors"] for a in answers] == [TOKEN_INVALID] * 3
    assert not await db.fetch("SELECT 1 FROM users WHERE username = 'newcomer'")
    viewer_list = await gql(client, INVITATIONS, {"slug": "acme"},
                            headers=people["viewer"].headers)
    assert viewer_list["data"]["organization"]["invitations"]["totalCount"] == 0


async def test_a_new_invitation_replaces_the_pending_one(app, client, session, db) -> None:
    org, people = await given_org(app, session, "owner")
    org_id = gid("Organization", org.id)
    for role in ("VIEWER", "ADMIN"):
        await call(client, people["owner"], INVITE, {"organizationId": org_id,
                                                     "email": "sam@example.com", "role": role})
    first, second = (await _outbox_tokens(db, all_mails=True))["sam@example.com"]

    old = await gql(client, ACCEPT, {"input": {"token": first, "username": "sam",
                                               "password": PASSWORD}})
    new = await gql(client, ACCEPT, {"input": {"token": second, "username": "sam",
                                               "password": PASSWORD}})

    assert old["data"]["acceptInvitation"]["userErrors"] == TOKEN_INVALID
    assert new["data"]["acceptInvitation"]["userErrors"] == []
    assert (await roles_in(db, org))["sam"] == "admin"


async def _outbox_tokens(db, *, all_mails: bool = False) -> dict:
    """Tokens of the invitation links in the outbox by recipient, oldest mail first."""
    rows = await db.fetch("SELECT to_address, text_body FROM mail_outbox "
                          "ORDER BY created_at, id")
    found: dict[str, list[str]] = {}
    for row in rows:
        token = row["text_body"].split("accept-invitation?token=", 1)[1].split()[0]
        found.setdefault(row["to_address"], []).append(token)
    return found if all_mails else {k: v[-1] for k, v in found.items()}


def _hash(password: str) -> str:
    from services.security.passwords import hash_password

    return hash_password(password)
