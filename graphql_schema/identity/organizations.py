"""Organizations and their members: inputs, payloads and the `OrganizationsMutation` root.

Who may do what is the role table of db/permissions.py (README "Roles and permissions").
"""

from __future__ import annotations

from enum import StrEnum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.identity.enums import MembershipRole
from graphql_schema.identity.types import Membership, Organization


class OrganizationErrorCode(StrEnum):
    """`userErrors[].code` values of the organization and member mutations."""

    INVALID = "INVALID"
    TAKEN = "TAKEN"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ACCOUNT_CLOSED = "ACCOUNT_CLOSED"
    LAST_OWNER = "LAST_OWNER"


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


@strawberry.input(description="Add a person by email; an account in `pending` status is created "
                              "when none exists. Same permissions as addMember.")
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
    membership: Membership | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code LAST_OWNER: an organization keeps at least one owner.")
class UpdateMemberRolePayload:
    membership: Membership | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Code LAST_OWNER: an organization keeps at least one owner.")
class RemoveMemberPayload:
    removed_membership_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


# Below the payloads on purpose: the resolvers import them from this (partly loaded) module.
from resolvers.identity import organizations  # noqa: E402


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

    @strawberry.mutation(description="Add an existing user to an organization.")
    async def add_member(self, info: Info, input: AddMemberInput) -> AddMemberPayload:
        return await organizations.add_member(info, input)

    @strawberry.mutation(description="Add a person to an organization by email.")
    async def invite_member(self, info: Info, input: InviteMemberInput) -> InviteMemberPayload:
        return await organizations.invite_member(info, input)

    @strawberry.mutation(description="Change a member's role.")
    async def update_member_role(self, info: Info, input: UpdateMemberRoleInput
                                 ) -> UpdateMemberRolePayload:
        return await organizations.update_member_role(info, input)

    @strawberry.mutation(description="Remove a member (or leave an organization); their group "
                                     "memberships and grants there go too.")
    async def remove_member(self, info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
        return await organizations.remove_member(info, input)
