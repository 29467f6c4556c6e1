"""createGroup, addGroupMember and grantObjectPermission.

Group codenames reach a member's principal through services/security/principals.py (cached, so
adding a member drops that user's cache after the commit); object grants are read on each
check by `resolvers.mutations.can_on_object`. Nobody hands out a codename they do not hold:
that would let an admin make themselves an owner through a group.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Group, GroupMember, GroupPermission, ObjectPermission, Permission
from db.permissions import ALL_PERMISSIONS
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden, NotFound
from graphql_schema.identity import types
from graphql_schema.identity.grant_inputs import (
    AddGroupMemberInput,
    CreateGroupInput,
    GrantObjectPermissionInput,
)
from graphql_schema.identity.payloads import (
    AddGroupMemberPayload,
    CreateGroupPayload,
    GrantObjectPermissionPayload,
    GroupErrorCode,
)
from graphql_schema.identity.types import Group as GroupNode
from graphql_schema.identity.types import ObjectPermissionGrant
from graphql_schema.node import node_types
from graphql_schema.relay import decode_global_id, decode_global_id_of
from resolvers.identity.organizations import (
    lock_organization,
    membership_of,
    refresh_after_commit,
    sees,
)
from resolvers.mutations import (
    InvalidInput,
    Problem,
    can_on_object,
    mutation_payload,
    require,
    require_on_object,
    user_errors,
    write,
)

Code = GroupErrorCode
NAME_MAX = 150

GROUP_GRANTS_SQL = """
SELECT p.codename, NULL::uuid FROM group_permissions gp
JOIN permissions p ON p.id = gp.permission_id WHERE gp.group_id = $1
UNION ALL
SELECT p.codename, op.resource_id FROM object_permissions op
JOIN permissions p ON p.id = op.permission_id WHERE op.group_id = $1"""


def unknown_codenames(codenames: list[str], field: str) -> list[Problem]:
    return [Problem(field, f"Unknown permission {c!r}", Code.UNKNOWN_PERMISSION)
            for c in codenames if c not in ALL_PERMISSIONS]


def forbid_unheld(codenames: list[str]) -> None:
    if codenames:
        raise Forbidden(f"You cannot grant permissions you do not hold: {', '.join(codenames)}",
                        permission=codenames[0])


async def permission_ids(session: AsyncSession, codenames: list[str]) -> dict[str, uuid.UUID]:
    """Ids of catalogue rows for `codenames`, adding the rows that are missing."""
    if not codenames:
        return {}
    await session.execute(insert(Permission).values([
        {"codename": c, "name": c, "resource_type": c.split(":", 1)[0]} for c in codenames
    ]).on_conflict_do_nothing(index_elements=["codename"]))
    rows = await session.execute(select(Permission.codename, Permission.id).where(
        Permission.codename.in_(codenames)))
    return {codename: pk for codename, pk in rows.all()}


async def group_node(info: Info, group_id: uuid.UUID) -> GroupNode | None:
    return await info.context.loaders.node(GroupNode).load(group_id)


async def create_group(info: Info, input: CreateGroupInput) -> CreateGroupPayload:
    org_id = decode_global_id_of(input.organization_id, types.Organization,
                                 field="organizationId")
    require(info, "group:manage", org_id)

    async def body() -> CreateGroupPayload:
        name, codenames = input.name.strip(), sorted(set(input.permissions))
        problems = unknown_codenames(codenames, "permissions")
        if not name or len(name) > NAME_MAX:
            problems.insert(0, Problem("name", f"name: 1 to {NAME_MAX} characters", Code.INVALID))
        if problems:
            raise InvalidInput(problems)
        forbid_unheld([c for c in codenames if not info.context.principal.can(c, org_id)])
        async with write(info) as tx:
            group = Group(organization_id=org_id, name=name, description=input.description)
            tx.session.add(group)
            try:
                await tx.session.flush()
            except IntegrityError:
                raise InvalidInput(Problem("name", "A group of this name exists",
                                           Code.TAKEN)) from None
            for pk in (await permission_ids(tx.session, codenames)).values():
                tx.session.add(GroupPermission(organization_id=org_id, group_id=group.id,
                                               permission_id=pk))
            await tx.audit("group.create", resource_type="group", resource_id=group.id,
                           organization_id=org_id, new={"name": name,
                                                        "description": input.description,
                                                        "permissions": codenames})
        await refresh_after_commit(info)
        return CreateGroupPayload(group=await group_node(info, group.id))

    return await mutation_payload(body, lambda e: CreateGroupPayload(user_errors=e))


async def add_group_member(info: Info, input: AddGroupMemberInput) -> AddGroupMemberPayload:
    group_id = decode_global_id_of(input.group_id, GroupNode, field="groupId")
    user_id = decode_global_id_of(input.user_id, types.User, field="userId")

    async def body() -> AddGroupMemberPayload:
        async with write(info) as tx:
            group = await tx.session.get(Group, group_id)
            if group is None:
                raise NotFound("No such group", field="groupId")
            org_id = group.organization_id
            await require_on_object(info, "group:manage", org_id, group_id)
            await lock_organization(tx.session, org_id)  # vs. removeMember of that user
            unheld = [c for c, obj in await info.context.db.fetch(GROUP_GRANTS_SQL, group_id)
                      if not (info.context.principal.can(c, org_id) if obj is None
                              else await can_on_object(info, c, org_id, obj))]
            forbid_unheld(sorted(set(unheld)))
            if await membership_of(tx.session, org_id, user_id) is None:
                raise InvalidInput(Problem("userId", "Not a member of the group's organization",
                                           Code.NOT_MEMBER))
            if await tx.session.scalar(select(GroupMember.id).where(
                    GroupMember.group_id == group_id, GroupMember.user_id == user_id)):
                raise InvalidInput(Problem("userId", "Already in this group",
                                           Code.ALREADY_MEMBER))
            tx.session.add(GroupMember(organization_id=org_id, group_id=group_id,
                                       user_id=user_id))
            await tx.audit("group.add_member", resource_type="group", resource_id=group_id,
                           organization_id=org_id, new={"user_id": user_id})
        await refresh_after_commit(info, user_id)
        return AddGroupMemberPayload(group=await group_node(info, group_id))

    return await mutation_payload(body, lambda e: AddGroupMemberPayload(user_errors=e))


async def grant_object_permission(info: Info, input: GrantObjectPermissionInput
                                  ) -> GrantObjectPermissionPayload:
    type_name, object_id = decode_global_id(input.object_id, field="objectId")
    node_type = node_types().get(type_name)
    obj = None if node_type is None else await info.context.loaders.node(node_type).load(
        object_id)
    if obj is None:
        raise NotFound("Could not resolve objectId to an object", field="objectId")
    org_id: uuid.UUID | None = getattr(obj, "organization_id", None)
    if org_id is None:
        return GrantObjectPermissionPayload(user_errors=user_errors([Problem(
            "objectId", f"{type_name} objects take no object grants", Code.INVALID)]))
    await require_on_object(info, "group:manage", org_id, object_id)

    async def body() -> GrantObjectPermissionPayload:
        problems = unknown_codenames([input.permission], "permission")
        if (input.user_id is None) == (input.group_id is None):
            problems.append(Problem("userId", "Pass exactly one of userId and groupId",
                                    Code.INVALID))
        if problems:
            raise InvalidInput(problems)
        if not await can_on_object(info, input.permission, org_id, object_id):
            forbid_unheld([input.permission])
        user_id = group_id = None
        async with write(info) as tx:
            await lock_organization(tx.session, org_id)
            if input.user_id is not None:
                user_id = decode_global_id_of(input.user_id, types.User, field="userId")
                if await membership_of(tx.session, org_id, user_id) is None:
                    raise InvalidInput(Problem("userId", "Not a member of the object's "
                                               "organization", Code.NOT_MEMBER))
            elif input.group_id is not None:
                group_id = await _grantee_group(info, tx.session, input.group_id, org_id)
            pk = (await permission_ids(tx.session, [input.permission]))[input.permission]
            if await tx.session.scalar(select(ObjectPermission.id).where(
                    ObjectPermission.permission_id == pk, ObjectPermission.resource_id ==
                    object_id, ObjectPermission.user_id.is_not_distinct_from(user_id),
                    ObjectPermission.group_id.is_not_distinct_from(group_id))):
                raise InvalidInput(Problem("permission", "Already granted",
                                           Code.ALREADY_GRANTED))
            grant = ObjectPermission(organization_id=org_id, permission_id=pk, user_id=user_id,
                                     group_id=group_id, resource_type=node_type._table,
                                     resource_id=object_id)
            tx.session.add(grant)
            await tx.session.flush()
            await tx.audit("object_permission.grant", resource_type="object_permission",
                           resource_id=grant.id, organization_id=org_id,
                           new={"permission": input.permission, "object_type": type_name,
                                "object_id": object_id, "user_id": user_id,
                                "group_id": group_id})
        await refresh_after_commit(info)
        node = await info.context.loaders.node(ObjectPermissionGrant).load(grant.id)
        return GrantObjectPermissionPayload(grant=node)

    return await mutation_payload(body, lambda e: GrantObjectPermissionPayload(user_errors=e))


async def _grantee_group(info: Info, session: AsyncSession, global_id: str,
                         org_id: uuid.UUID) -> uuid.UUID:
    group_id = decode_global_id_of(global_id, GroupNode, field="groupId")
    group = await session.get(Group, group_id)
    if group is None or not sees(info.context.principal, group.organization_id):
        raise NotFound("No such group", field="groupId")
    if group.organization_id != org_id:
        raise InvalidInput(Problem("groupId", "The group belongs to another organization",
                                   Code.INVALID))
    return group_id
