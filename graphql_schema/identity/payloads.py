"""Payloads and error codes of the identity domain's mutations (accounts, API keys, groups,
organizations).

Tokens and API key secrets go to the client once, in these payloads (`SignUpPayload`,
`LogInPayload`, `CreateApiKeyPayload.secret`); the server keeps only their hashes.
"""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.errors import UserError
from graphql_schema.identity.types import (
    ApiKey,
    Group,
    Invitation,
    Membership,
    ObjectPermissionGrant,
    Organization,
    User,
)


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
    OIDC_CODE_INVALID = "OIDC_CODE_INVALID"
    INVITATION_TOKEN_INVALID = "INVITATION_TOKEN_INVALID"
    RESET_TOKEN_INVALID = "RESET_TOKEN_INVALID"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    INVALID_LOCALE = "INVALID_LOCALE"
    INVALID = "INVALID"
    ALREADY_SUSPENDED = "ALREADY_SUSPENDED"
    NOT_SUSPENDED = "NOT_SUSPENDED"



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



@strawberry.type(description="Code OIDC_CODE_INVALID: the code is unknown, was already used or "
                             "has expired (it lives 2 minutes), or the account was disabled "
                             "meanwhile.")
class CompleteOidcLoginPayload:
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



class ApiKeyErrorCode(StrEnum):
    """`userErrors[].code` values of the API key mutations."""

    INVALID_NAME = "INVALID_NAME"
    UNKNOWN_SCOPE = "UNKNOWN_SCOPE"
    SCOPE_NOT_GRANTED = "SCOPE_NOT_GRANTED"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    INVALID_EXPIRY = "INVALID_EXPIRY"



@strawberry.type(description="Codes: INVALID_NAME, UNKNOWN_SCOPE, SCOPE_NOT_GRANTED, "
                             "NOT_A_MEMBER, INVALID_EXPIRY.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(
        default=None, description="The whole key. Shown only here, once: store it now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



class GroupErrorCode(StrEnum):
    """`userErrors[].code` values of the group and grant mutations."""

    INVALID = "INVALID"
    TAKEN = "TAKEN"
    UNKNOWN_PERMISSION = "UNKNOWN_PERMISSION"
    NOT_MEMBER = "NOT_MEMBER"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_GRANTED = "ALREADY_GRANTED"
    NOT_GRANTED = "NOT_GRANTED"



@strawberry.type(description="Codes: INVALID, TAKEN (name), UNKNOWN_PERMISSION.")
class CreateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Codes: NOT_MEMBER (of the organization), ALREADY_MEMBER.")
class AddGroupMemberPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Codes: INVALID, UNKNOWN_PERMISSION, NOT_MEMBER, ALREADY_GRANTED.")
class GrantObjectPermissionPayload:
    grant: ObjectPermissionGrant | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



class OrganizationErrorCode(StrEnum):
    """`userErrors[].code` values of the organization and member mutations."""

    INVALID = "INVALID"
    TAKEN = "TAKEN"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    LAST_OWNER = "LAST_OWNER"



@strawberry.type(description="Codes: INVALID, TAKEN (slug).")
class CreateOrganizationPayload:
    organization: Organization | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Codes: INVALID, TAKEN (slug).")
class UpdateOrganizationPayload:
    organization: Organization | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Code ALREADY_MEMBER.")
class AddMemberPayload:
    membership: Membership | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Codes: INVALID (email), ALREADY_MEMBER, ACCOUNT_CLOSED.")
class InviteMemberPayload:
    invitation: Invitation | None = strawberry.field(
        default=None, description="The invitation just mailed (its token only in the mail).")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeInvitationPayload:
    revoked_invitation_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Code LAST_OWNER: an organization keeps at least one owner.")
class UpdateMemberRolePayload:
    membership: Membership | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Code LAST_OWNER: an organization keeps at least one owner.")
class RemoveMemberPayload:
    removed_membership_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)



@strawberry.type(description="Codes: INVITATION_TOKEN_INVALID (used, revoked, expired or "
                             "unknown), INVALID_CREDENTIALS (the existing account's password), "
                             "ACCOUNT_CLOSED, INVALID_USERNAME, TAKEN, PASSWORD_TOO_SHORT, "
                             "PASSWORD_TOO_LONG, PASSWORD_TOO_SIMILAR.")
class AcceptInvitationPayload:
    user: User | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="`ok` whether or not the email has an account (a mail goes only "
                             "to a known, active one). Code INVALID_EMAIL.")
class RequestPasswordResetPayload:
    ok: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Every session of the account ends: log in with the new "
                             "password. Codes: RESET_TOKEN_INVALID (used, expired or unknown), "
                             "PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_TOO_SIMILAR.")
class ResetPasswordPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID (a name over 150 characters, preferences not an "
                             "object), INVALID_LOCALE.")
class UpdateProfilePayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeSessionPayload:
    revoked_session_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The account's sessions end and its API keys stop until "
                             "reactivateUser. Codes: INVALID (your own account), "
                             "ALREADY_SUSPENDED.")
class SuspendUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code NOT_SUSPENDED.")
class ReactivateUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteOrganizationPayload:
    deleted_organization_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID, TAKEN (name), UNKNOWN_PERMISSION.")
class UpdateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteGroupPayload:
    deleted_group_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code NOT_MEMBER (not in the group).")
class RemoveGroupMemberPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeObjectPermissionPayload:
    revoked_object_permission_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: UNKNOWN_PERMISSION, NOT_MEMBER, ALREADY_GRANTED.")
class GrantUserPermissionPayload:
    membership: Membership | None = strawberry.field(
        default=None, description="The member, with `permissions` (their direct grants).")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: NOT_MEMBER, NOT_GRANTED.")
class RevokeUserPermissionPayload:
    membership: Membership | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
