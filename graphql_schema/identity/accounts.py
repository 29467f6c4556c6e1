"""Accounts and logins: inputs, payloads and the `AccountsMutation` root.

Tokens go to the client once, in these payloads; the server keeps only their hashes.
"""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.identity.types import User


class AccountErrorCode(StrEnum):
    """`userErrors[].code` values of the account mutations."""

    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_USERNAME = "INVALID_USERNAME"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    PASSWORD_TOO_LONG = "PASSWORD_TOO_LONG"
    PASSWORD_TOO_SIMILAR = "PASSWORD_TOO_SIMILAR"
    TAKEN = "TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    REFRESH_TOKEN_INVALID = "REFRESH_TOKEN_INVALID"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
    SESSION_REVOKED = "SESSION_REVOKED"


@strawberry.input(description="A new account; you are logged in as it right away.")
class SignUpInput:
    email: str
    username: str = strawberry.field(description="3 to 150 of a-z, A-Z, 0-9, `_`, `.`, `-`.")
    password: str = strawberry.field(description="At least 10 characters, not your username "
                                                 "or email.")


@strawberry.input
class LogInInput:
    login: str = strawberry.field(description="Your email or your username.")
    password: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type(description="Codes: INVALID_EMAIL, INVALID_USERNAME, PASSWORD_TOO_SHORT, "
                             "PASSWORD_TOO_LONG, PASSWORD_TOO_SIMILAR, TAKEN.")
class SignUpPayload:
    user: User | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code INVALID_CREDENTIALS, the same whether the login is unknown, "
                             "the password wrong or the account disabled.")
class LogInPayload:
    user: User | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: REFRESH_TOKEN_INVALID (malformed or unknown), "
                             "REFRESH_TOKEN_REUSED (an old one: the session is now revoked), "
                             "SESSION_REVOKED (logged out or expired: log in again).")
class RefreshTokenPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogOutPayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID_CREDENTIALS (current password), "
                             "PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_TOO_SIMILAR.")
class ChangePasswordPayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


# Below the payloads on purpose: the resolvers import them from this (partly loaded) module.
from resolvers.identity import accounts  # noqa: E402


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(description="Create an account and log in as it.")
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        return await accounts.sign_up(info, input)

    @strawberry.mutation(description="Log in with email or username and password.")
    async def log_in(self, info: Info, input: LogInInput) -> LogInPayload:
        return await accounts.log_in(info, input)

    @strawberry.mutation(description="Trade a refresh token for new tokens; each refresh token "
                                     "works once.")
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> RefreshTokenPayload:
        return await accounts.refresh_token(info, input)

    @strawberry.mutation(description="End the current login session.")
    async def log_out(self, info: Info) -> LogOutPayload:
        return await accounts.log_out(info)

    @strawberry.mutation(description="End every login session of your account.")
    async def log_out_everywhere(self, info: Info) -> LogOutPayload:
        return await accounts.log_out_everywhere(info)

    @strawberry.mutation(description="Change your password; your other sessions are ended.")
    async def change_password(self, info: Info, input: ChangePasswordInput
                              ) -> ChangePasswordPayload:
        return await accounts.change_password(info, input)
