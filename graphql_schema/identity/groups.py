"""Groups and object grants: the `Group` node, inputs, payloads and the `GroupsMutation` root.

A group's codenames add to its members' roles in its organization; an object grant adds one
codename on one object. Both need group:manage, and you can only hand out what you hold.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.identity.types import Organization, User
from graphql_schema.relations import to_one
from graphql_schema.relay import TableNode


class GroupErrorCode(StrEnum):
    """`userErrors[].code` values of the group and grant mutations."""

    INVALID = "INVALID"
    TAKEN = "TAKEN"
    UNKNOWN_PERMISSION = "UNKNOWN_PERMISSION"
    NOT_MEMBER = "NOT_MEMBER"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_GRANTED = "ALREADY_GRANTED"


@strawberry.type(description="A named set of people in one organization, with extra "
                             "permissions for its members.")
class Group(TableNode):
    _table = "groups"

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    organization = to_one(Organization, "organization_id")


@strawberry.type(description="One permission on one object, for a user or a group.")
class ObjectPermissionGrant:
    id: strawberry.ID
    permission: str
    object_id: strawberry.ID = strawberry.field(description="Global ID of the object.")
    user_id: strawberry.Private[uuid.UUID | None]
    group_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def user(self, info: Info) -> User | None:
        return None if self.user_id is None else \
            await info.context.loaders.node(User).load(self.user_id)

    @strawberry.field
    async def group(self, info: Info) -> Group | None:
        return None if self.group_id is None else \
            await info.context.loaders.node(Group).load(self.group_id)


@strawberry.input(description="Needs group:manage; every codename must be one you hold.")
class CreateGroupInput:
    organization_id: strawberry.ID
    name: str
    description: str | None = None
    permissions: list[str] = strawberry.field(
        default_factory=list, description="Codenames such as `deployment:manage`.")


@strawberry.input(description="Needs group:manage (in the organization or on the group) and "
                              "every permission the group grants; the user must be a member.")
class AddGroupMemberInput:
    group_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input(description="Grant `permission` on one object to a user or a group (exactly "
                              "one). Needs group:manage and the permission itself.")
class GrantObjectPermissionInput:
    object_id: strawberry.ID
    permission: str
    user_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None


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


# Below the payloads on purpose: the resolvers import them from this (partly loaded) module.
from resolvers.identity import groups  # noqa: E402


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
