"""Inputs of the group and grant mutations: groups, their members and codenames, object grants
and direct user permissions. Each needs group:manage, and nobody hands out a codename they do
not hold."""

from __future__ import annotations

import strawberry
from strawberry import Maybe


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


@strawberry.input(description="Only the fields you pass change; `permissions` replaces the "
                              "group's codenames. Needs group:manage (in the organization or on "
                              "the group) and every codename added.")
class UpdateGroupInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    permissions: Maybe[list[str]]


@strawberry.input(description="Needs group:manage in the group's organization.")
class DeleteGroupInput:
    id: strawberry.ID


@strawberry.input(description="Needs group:manage (in the organization or on the group).")
class RemoveGroupMemberInput:
    group_id: strawberry.ID
    user_id: strawberry.ID


@strawberry.input(description="Needs group:manage in the grant's organization.")
class RevokeObjectPermissionInput:
    id: strawberry.ID


@strawberry.input(description="A direct grant of `permission` to a member, in one organization. "
                              "Needs group:manage and the permission itself.")
class GrantUserPermissionInput:
    organization_id: strawberry.ID
    user_id: strawberry.ID
    permission: str


@strawberry.input(description="Needs group:manage in the organization.")
class RevokeUserPermissionInput:
    organization_id: strawberry.ID
    user_id: strawberry.ID
    permission: str
