"""The account mutations that take a mailed token instead of an object ID, for the isolation
matrix: only the token opens anything. Its stored hash (what a leaked table holds) does not,
and a reset request tells the caller nothing about the account it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from db.models import Invitation, PasswordReset
from services.security.tokens import hash_secret
from tests.graphql import gql
from tests.isolation.test_matrix import post, snapshot
from tests.isolation.world import build_world

ACCEPT = """
mutation ($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { user { id } accessToken userErrors { code } }
}"""
RESET = """
mutation ($input: ResetPasswordInput!) {
  resetPassword(input: $input) { user { id } userErrors { code } }
}"""
REQUEST = """
mutation ($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { ok userErrors { code } }
}"""


async def test_stored_token_hashes_open_nothing(app, client, session, db, database_url) -> None:
    # given organization A with an invitation and a password reset of its owner
    a = await build_world(session, "a")
    invitation_hash, reset_hash = hash_secret("invitation-token"), hash_secret("reset-token")
    session.add_all([
        Invitation(organization_id=a.organization.id, email="new@example.com", role="owner",
                   token_hash=invitation_hash, expires_at=datetime.now(UTC) + timedelta(days=1)),
        PasswordReset(user_id=a.owner.id, token_hash=reset_hash,
                      expires_at=datetime.now(UTC) + timedelta(hours=1)),
    ])
    await session.commit()
    before = await snapshot(database_url)

    # when someone presents the stored hashes as tokens
    accepted = await gql(client, ACCEPT, {"input": {
        "token": invitation_hash, "username": "intruder", "password": "a long password"}})
    reset = await gql(client, RESET, {"input": {"token": reset_hash,
                                                "newPassword": "a long password"}})

    # then both are refused and nothing changed
    assert accepted["data"]["acceptInvitation"] == {
        "user": None, "accessToken": None, "userErrors": [{"code": "INVITATION_TOKEN_INVALID"}]}
    assert reset["data"]["resetPassword"] == {
        "user": None, "userErrors": [{"code": "RESET_TOKEN_INVALID"}]}
    assert await snapshot(database_url) == before


async def test_a_reset_request_answers_alike_for_any_email(app, client, session, db) -> None:
    a = await build_world(session, "a")
    await session.commit()

    _, known = await post(client, {}, REQUEST, {"input": {"email": a.owner.email}})
    _, unknown = await post(client, {}, REQUEST, {"input": {"email": "no-one@example.com"}})

    assert known == unknown == {"data": {"requestPasswordReset": {"ok": True,
                                                                  "userErrors": []}}}
