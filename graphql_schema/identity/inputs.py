"""Filter and order inputs of the identity domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.identity.enums import MailKind, MailStatus, MembershipRole, UserStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Organizations matching all given conditions.")
class OrganizationFilter:
    slug_in: list[str] | None = None
    name_contains: str | None = None
    is_active: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class OrganizationOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class OrganizationOrder:
    field: OrganizationOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Users matching all given conditions.")
class UserFilter:
    username_contains: str | None = None
    email_contains: str | None = None
    status: UserStatus | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class UserOrderField(Enum):
    ID = ("id",)
    USERNAME = ("username", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class UserOrder:
    field: UserOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Memberships matching all given conditions.")
class MembershipFilter:
    role: MembershipRole | None = None
    role_in: list[MembershipRole] | None = None
    created_after: datetime | None = None


@strawberry.enum
class MembershipOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class MembershipOrder:
    field: MembershipOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="A new account; you are logged in as it right away.")
class SignUpInput:
    email: str
    username: str = strawberry.field(description="3 to 150 of a-z, A-Z, 0-9, `_`, `.`, `-`.")
    password: str = strawberry.field(description="At least 10 characters, not your username "
                                                 "or email.")



@strawberry.input(description="The one-time code single sign-on handed the frontend in "
                              "`/auth/callback#code=…`.")
class CompleteOidcLoginInput:
    code: str


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


@strawberry.input(description="API keys matching all given conditions.")
class ApiKeyFilter:
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ApiKeyOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ApiKeyOrder:
    field: ApiKeyOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="A new key for you in one organization (needs `apikey:manage`).")
class CreateApiKeyInput:
    organization_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters, for you to recognise it.")
    scopes: list[str] = strawberry.field(
        description="Permission codenames (`model:write`, ...), each granted by your role.")
    expires_at: datetime | None = strawberry.field(default=None,
                                                   description="Never expires when null.")


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


SLUG_HELP = "3 to 100 of a-z, 0-9 and `-`; starts and ends with a letter or digit."


@strawberry.input(description="A new organization; you become its owner.")
class CreateOrganizationInput:
    name: str
    slug: str = strawberry.field(description=SLUG_HELP)
    description: str | None = None


@strawberry.input(description="Only the fields you pass change; `description: null` clears it. "
                              "Needs organization:update.")
class UpdateOrganizationInput:
    id: strawberry.ID
    name: Maybe[str]
    slug: Maybe[str] = strawberry.field(description=SLUG_HELP)
    description: Maybe[str | None]
    settings: Maybe[JSON] = strawberry.field(description="A JSON object; replaces the old one.")


@strawberry.input(description="Add an existing user. Needs member:manage (owner:manage to add "
                              "an owner).")
class AddMemberInput:
    organization_id: strawberry.ID
    user_id: strawberry.ID
    role: MembershipRole = MembershipRole.MEMBER


@strawberry.input(description="Invite a person by email: an invitation is mailed, to accept with "
                              "acceptInvitation (whether or not the email has an account "
                              "already). Same permissions as addMember.")
class InviteMemberInput:
    organization_id: strawberry.ID
    email: str
    role: MembershipRole = MembershipRole.MEMBER


@strawberry.input(description="Needs member:manage, and owner:manage when owners are involved.")
class UpdateMemberRoleInput:
    membership_id: strawberry.ID
    role: MembershipRole


@strawberry.input(description="Needs member:manage (owner:manage for an owner); anyone may "
                              "remove their own membership.")
class RemoveMemberInput:
    membership_id: strawberry.ID


@strawberry.input(description="Accept a mailed invitation. Without an account for the invited "
                              "email, one is created with `username` and `password`; with one, "
                              "`password` must be its password (a `pending` account, made by an "
                              "older invitation, is activated with them instead).")
class AcceptInvitationInput:
    token: str
    username: str | None = None
    password: str


@strawberry.input(description="Needs member:manage in the invitation's organization.")
class RevokeInvitationInput:
    id: strawberry.ID


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str


@strawberry.input(description="Only the fields you pass change; `null` clears one.")
class UpdateProfileInput:
    first_name: Maybe[str | None]
    last_name: Maybe[str | None]
    locale: Maybe[str | None] = strawberry.field(
        description="A BCP 47 tag such as `zh-CN` or `en`: the language of your mails and of "
                    "analysis results. null: your organization's.")
    avatar_file_id: Maybe[strawberry.ID | None] = strawberry.field(
        description="A file of one of your organizations.")
    preferences: Maybe[JSON] = strawberry.field(
        description="A JSON object; replaces the old one.")


@strawberry.input(description="One of your own login sessions.")
class RevokeSessionInput:
    id: strawberry.ID


@strawberry.input(description="Mails matching all given conditions.")
class OutboxMailFilter:
    to_address: str | None = None
    kind: MailKind | None = None
    status: MailStatus | None = None
    created_after: datetime | None = None


@strawberry.enum
class OutboxMailOrderField(Enum):
    CREATED_AT = ("created_at", "id")


@strawberry.input
class OutboxMailOrder:
    field: OutboxMailOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Sessions matching all given conditions.")
class UserSessionFilter:
    created_after: datetime | None = None


@strawberry.enum
class UserSessionOrderField(Enum):
    CREATED_AT = ("created_at", "id")


@strawberry.input
class UserSessionOrder:
    field: UserSessionOrderField
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Invitations matching all given conditions.")
class InvitationFilter:
    email: str | None = None
    role: MembershipRole | None = None


@strawberry.enum
class InvitationOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class InvitationOrder:
    field: InvitationOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Platform superusers only.")
class SuspendUserInput:
    user_id: strawberry.ID
    reason: str | None = strawberry.field(default=None,
                                          description="Kept in the audit trail.")


@strawberry.input(description="Platform superusers only.")
class ReactivateUserInput:
    user_id: strawberry.ID


@strawberry.input(description="Needs organization:delete (owners).")
class DeleteOrganizationInput:
    id: strawberry.ID


@strawberry.input(description="Groups matching all given conditions.")
class GroupFilter:
    name_contains: str | None = None


@strawberry.enum
class GroupOrderField(Enum):
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class GroupOrder:
    field: GroupOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Object grants matching all given conditions.")
class ObjectPermissionFilter:
    resource_id: strawberry.ID | None = strawberry.field(
        default=None, name="objectId", description="Grants on this object (a global ID).")
    user_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None


@strawberry.enum
class ObjectPermissionOrderField(Enum):
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ObjectPermissionOrder:
    field: ObjectPermissionOrderField
    direction: OrderDirection = OrderDirection.ASC
