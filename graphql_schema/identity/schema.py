"""Root fields of the identity domain (wiring only; logic lives in resolvers/identity).

Who may do what is the role table of db/permissions.py. A group's codenames add to its
members' roles in its organization; an object grant adds one codename on one object. Both
need group:manage, and you can only hand out what you hold.
"""

from __future__ import annotations

import strawberry

from db.loaders.identity import MAIL_OUTBOX, ORGANIZATIONS, USERS
from graphql_schema.context import Info
from graphql_schema.identity.grant_inputs import (
    AddGroupMemberInput,
    CreateGroupInput,
    DeleteGroupInput,
    GrantObjectPermissionInput,
    GrantUserPermissionInput,
    RemoveGroupMemberInput,
    RevokeObjectPermissionInput,
    RevokeUserPermissionInput,
    UpdateGroupInput,
)
from graphql_schema.identity.inputs import (
    AcceptInvitationInput,
    AddMemberInput,
    ChangePasswordInput,
    CompleteOidcLoginInput,
    CreateApiKeyInput,
    CreateOrganizationInput,
    DeleteOrganizationInput,
    InviteMemberInput,
    LogInInput,
    OrganizationFilter,
    OrganizationOrder,
    OutboxMailFilter,
    OutboxMailOrder,
    ReactivateUserInput,
    RefreshTokenInput,
    RemoveMemberInput,
    RequestPasswordResetInput,
    ResetPasswordInput,
    RevokeApiKeyInput,
    RevokeInvitationInput,
    RevokeSessionInput,
    SignUpInput,
    SuspendUserInput,
    UpdateMemberRoleInput,
    UpdateOrganizationInput,
    UpdateProfileInput,
    UserFilter,
    UserOrder,
)
from graphql_schema.identity.payloads import (
    AcceptInvitationPayload,
    AddGroupMemberPayload,
    AddMemberPayload,
    ChangePasswordPayload,
    CompleteOidcLoginPayload,
    CreateApiKeyPayload,
    CreateGroupPayload,
    CreateOrganizationPayload,
    DeleteGroupPayload,
    DeleteOrganizationPayload,
    GrantObjectPermissionPayload,
    GrantUserPermissionPayload,
    InviteMemberPayload,
    LogInPayload,
    LogOutPayload,
    ReactivateUserPayload,
    RefreshTokenPayload,
    RemoveGroupMemberPayload,
    RemoveMemberPayload,
    RequestPasswordResetPayload,
    ResetPasswordPayload,
    RevokeApiKeyPayload,
    RevokeInvitationPayload,
    RevokeObjectPermissionPayload,
    RevokeSessionPayload,
    RevokeUserPermissionPayload,
    SignUpPayload,
    SuspendUserPayload,
    UpdateGroupPayload,
    UpdateMemberRolePayload,
    UpdateOrganizationPayload,
    UpdateProfilePayload,
)
from graphql_schema.identity.types import Organization, OutboxMail, User
from graphql_schema.relations import connection
from resolvers.identity import (
    accounts,
    administration,
    api_keys,
    deletion,
    grants,
    group_changes,
    groups,
    invitations,
    organizations,
    password_reset,
    profile,
    queries,
    single_sign_on,
)


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The authenticated caller, or null.")
    async def viewer(self, info: Info) -> User | None:
        return await queries.viewer(info)

    @strawberry.field(description="An organization by its slug, if you may see it.")
    async def organization(self, info: Info, slug: str) -> Organization | None:
        return await queries.organization_by_slug(info, slug)

    organizations = connection(
        ORGANIZATIONS, Organization, OrganizationFilter, OrganizationOrder,
        description="Organizations you may see.",
    )

    users = connection(
        USERS, User, UserFilter, UserOrder,
        description="Users who share an organization with you.",
    )

    mail_outbox = connection(
        MAIL_OUTBOX, OutboxMail, OutboxMailFilter, OutboxMailOrder,
        description="Mails the platform queued, newest first: superusers only (without "
                    "AIPLATFORM_SMTP_URL this is where they stay).",
    )


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(description="Create an account and log in as it.")
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        return await accounts.sign_up(info, input)

    @strawberry.mutation(description="Log in with email or username and password.")
    async def log_in(self, info: Info, input: LogInInput) -> LogInPayload:
        return await accounts.log_in(info, input)

    @strawberry.mutation(description="End a single sign-on: trade the one-time code from "
                                     "`/auth/oidc/callback` for tokens.")
    async def complete_oidc_login(self, info: Info, input: CompleteOidcLoginInput
                                  ) -> CompleteOidcLoginPayload:
        return await single_sign_on.complete_oidc_login(info, input)

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

    @strawberry.mutation(description="Mail a password-reset link to the account with this "
                                     "email; the same answer when there is none.")
    async def request_password_reset(self, info: Info, input: RequestPasswordResetInput
                                     ) -> RequestPasswordResetPayload:
        return await password_reset.request_password_reset(info, input)

    @strawberry.mutation(description="Set a new password with a mailed reset token; every "
                                     "session of the account ends.")
    async def reset_password(self, info: Info, input: ResetPasswordInput
                             ) -> ResetPasswordPayload:
        return await password_reset.reset_password(info, input)

    @strawberry.mutation(description="Change your names, language, avatar or preferences.")
    async def update_profile(self, info: Info, input: UpdateProfileInput
                             ) -> UpdateProfilePayload:
        return await profile.update_profile(info, input)

    @strawberry.mutation(description="End one of your login sessions (`viewer { sessions }`).")
    async def revoke_session(self, info: Info, input: RevokeSessionInput
                             ) -> RevokeSessionPayload:
        return await profile.revoke_session(info, input)

    @strawberry.mutation(description="Join an organization with a mailed invitation token; "
                                     "you are logged in.")
    async def accept_invitation(self, info: Info, input: AcceptInvitationInput
                                ) -> AcceptInvitationPayload:
        return await invitations.accept_invitation(info, input)

    @strawberry.mutation(description="Suspend an account (platform superusers): its sessions "
                                     "end and its API keys stop at once.")
    async def suspend_user(self, info: Info, input: SuspendUserInput) -> SuspendUserPayload:
        return await administration.suspend_user(info, input)

    @strawberry.mutation(description="Lift a suspension (platform superusers); the account "
                                     "logs in again, its API keys work again.")
    async def reactivate_user(self, info: Info, input: ReactivateUserInput
                              ) -> ReactivateUserPayload:
        return await administration.reactivate_user(info, input)



@strawberry.type
class ApiKeysMutation:
    @strawberry.mutation(description="Create an API key; its secret is in the payload, once.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        return await api_keys.create_api_key(info, input)

    @strawberry.mutation(description="Revoke an API key: yours, or any in an organization where "
                                     "you have `apikey:manage`. Takes effect at once.")
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        return await api_keys.revoke_api_key(info, input)



@strawberry.type
class GroupsMutation:
    @strawberry.mutation(description="Create a group with permissions in an organization.")
    async def create_group(self, info: Info, input: CreateGroupInput) -> CreateGroupPayload:
        return await groups.create_group(info, input)

    @strawberry.mutation(description="Add a member of the organization to a group.")
    async def add_group_member(self, info: Info, input: AddGroupMemberInput
                               ) -> AddGroupMemberPayload:
        return await groups.add_group_member(info, input)

    @strawberry.mutation(description="Grant a permission on one object to a user or a group.")
    async def grant_object_permission(self, info: Info, input: GrantObjectPermissionInput
                                      ) -> GrantObjectPermissionPayload:
        return await groups.grant_object_permission(info, input)

    @strawberry.mutation(description="Rename a group, change its description or replace its "
                                     "permissions.")
    async def update_group(self, info: Info, input: UpdateGroupInput) -> UpdateGroupPayload:
        return await group_changes.update_group(info, input)

    @strawberry.mutation(description="Delete a group with its memberships and grants.")
    async def delete_group(self, info: Info, input: DeleteGroupInput) -> DeleteGroupPayload:
        return await group_changes.delete_group(info, input)

    @strawberry.mutation(description="Take a user out of a group.")
    async def remove_group_member(self, info: Info, input: RemoveGroupMemberInput
                                  ) -> RemoveGroupMemberPayload:
        return await group_changes.remove_group_member(info, input)

    @strawberry.mutation(description="Revoke a grant on one object "
                                     "(`Organization.objectPermissions`).")
    async def revoke_object_permission(self, info: Info, input: RevokeObjectPermissionInput
                                       ) -> RevokeObjectPermissionPayload:
        return await grants.revoke_object_permission(info, input)

    @strawberry.mutation(description="Grant a permission to a member directly, in one "
                                     "organization (`Membership.permissions`).")
    async def grant_user_permission(self, info: Info, input: GrantUserPermissionInput
                                    ) -> GrantUserPermissionPayload:
        return await grants.grant_user_permission(info, input)

    @strawberry.mutation(description="Revoke a permission granted to a member directly.")
    async def revoke_user_permission(self, info: Info, input: RevokeUserPermissionInput
                                     ) -> RevokeUserPermissionPayload:
        return await grants.revoke_user_permission(info, input)



@strawberry.type
class OrganizationsMutation:
    @strawberry.mutation(description="Create an organization; you become its owner.")
    async def create_organization(self, info: Info, input: CreateOrganizationInput
                                  ) -> CreateOrganizationPayload:
        return await organizations.create_organization(info, input)

    @strawberry.mutation(description="Change an organization's name, slug, description or "
                                     "settings.")
    async def update_organization(self, info: Info, input: UpdateOrganizationInput
                                  ) -> UpdateOrganizationPayload:
        return await organizations.update_organization(info, input)

    @strawberry.mutation(description="Delete an organization (owners): it and everything in "
                                     "it disappear at once for its members, its API keys are "
                                     "revoked; it is purged AIPLATFORM_ORGANIZATION_PURGE_DAYS "
                                     "later.")
    async def delete_organization(self, info: Info, input: DeleteOrganizationInput
                                  ) -> DeleteOrganizationPayload:
        return await deletion.delete_organization(info, input)

    @strawberry.mutation(description="Add an existing user to an organization.")
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberPayload:
        return await organizations.add_member(info, input)

    @strawberry.mutation(description="Invite a person by email: the invitation is mailed, "
                                     "valid for 7 days, to accept with acceptInvitation.")
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberPayload:
        return await invitations.invite_member(info, input)

    @strawberry.mutation(description="Withdraw a pending invitation; its link stops working.")
    async def revoke_invitation(self, info: Info, input: RevokeInvitationInput
                                ) -> RevokeInvitationPayload:
        return await invitations.revoke_invitation(info, input)

    @strawberry.mutation(description="Change a member's role.")
    async def update_member_role(self, info: Info, input: UpdateMemberRoleInput
                                 ) -> UpdateMemberRolePayload:
        return await organizations.update_member_role(info, input)

    @strawberry.mutation(description="Remove a member (or leave an organization); their group "
                                     "memberships and grants there go too.")
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
        return await organizations.remove_member(info, input)
