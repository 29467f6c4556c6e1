"""updateGroup, deleteGroup and removeGroupMember.

A group's codenames are part of its members' principals, so every change drops the cached
principals of the members it touches after the commit (`refresh_after_commit`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from db.models import Group, GroupMember, GroupPermission, Permission
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.identity import types
from graphql_schema.identity.grant_inputs import (
    DeleteGroupInput,
    RemoveGroupMemberInput,
    UpdateGroupInput,
)
from graphql_schema.identity.payloads import (
    DeleteGroupPayload,
    RemoveGroupMemberPayload,
    UpdateGroupPayload,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.identity.groups import (
    NAME_MAX,
    Code,
    forbid_unheld,
    group_node,
    permission_ids,
    unknown_codenames,
)
from resolvers.identity.organizations import refresh_after_commit
from resolvers.mutations import (
    InvalidInput,
    Problem,
    Transaction,
    mutation_payload,
    require,
    require_on_object,
    write,
)


async def _locked_group(info: Info, tx: Transaction, global_id: str, field: str,
                        permission_on_group: bool = True) -> Group:
    """The group, locked; group:manage in its organization (or on the group itself)."""
    group_id = decode_global_id_of(global_id, types.Group, field=field)
    group = await tx.session.get(Group, group_id, with_for_update=True)
    if permission_on_group:
        await require_on_object(info, "group:manage",
                                group.organization_id if group else None, group_id)
    else:
        require(info, "group:manage", group.organization_id if group else None)
    if group is None:
        raise NotFound("No such group", field=field)
    return group


async def _members(tx: Transaction, group_id: uuid.UUID) -> list[uuid.UUID]:
    return list(await tx.session.scalars(select(GroupMember.user_id).where(
        GroupMember.group_id == group_id)))


async def _codenames(tx: Transaction, group_id: uuid.UUID) -> list[str]:
    return sorted(await tx.session.scalars(
        select(Permission.codename).join(GroupPermission,
                                         GroupPermission.permission_id == Permission.id)
        .where(GroupPermission.group_id == group_id)))


async def update_group(info: Info, input: UpdateGroupInput) -> UpdateGroupPayload:
    async def body() -> UpdateGroupPayload:
        async with write(info) as tx:
            group = await _locked_group(info, tx, input.id, "id")
            org_id = group.organization_id
            old = {"name": group.name, "description": group.description,
                   "permissions": await _codenames(tx, group.id)}
            new: dict[str, object] = {}
            if input.name is not None:
                name = input.name.value.strip()
                if not name or len(name) > NAME_MAX:
                    raise InvalidInput(Problem("name", f"name: 1 to {NAME_MAX} characters",
                                               Code.INVALID))
                group.name = new["name"] = name
            if input.description is not None:
                group.description = new["description"] = input.description.value
            if input.permissions is not None:
                codenames = sorted(set(input.permissions.value))
                if problems := unknown_codenames(codenames, "permissions"):
                    raise InvalidInput(problems)
                forbid_unheld([c for c in codenames if c not in old["permissions"]
                                and not info.context.principal.can(c, org_id)])
                await tx.session.execute(delete(GroupPermission).where(
                    GroupPermission.group_id == group.id))
                for pk in (await permission_ids(tx.session, codenames)).values():
                    tx.session.add(GroupPermission(organization_id=org_id, group_id=group.id,
                                                   permission_id=pk))
                new["permissions"] = codenames
            try:
                await tx.session.flush()
            except IntegrityError:
                raise InvalidInput(Problem("name", "A group of this name exists",
                                           Code.TAKEN)) from None
            members = await _members(tx, group.id)
            await tx.audit("group.update", resource_type="group", resource_id=group.id,
                           organization_id=org_id, old={k: old[k] for k in new}, new=new)
        await refresh_after_commit(info, *members)
        return UpdateGroupPayload(group=await group_node(info, group.id))

    return await mutation_payload(body, lambda e: UpdateGroupPayload(user_errors=e))


async def delete_group(info: Info, input: DeleteGroupInput) -> DeleteGroupPayload:
    """Its memberships, codenames and object grants go with it (ON DELETE CASCADE)."""
    async with write(info) as tx:
        group = await _locked_group(info, tx, input.id, "id", permission_on_group=False)
        members = await _members(tx, group.id)
        old = {"name": group.name, "permissions": await _codenames(tx, group.id),
               "members": len(members)}
        await tx.session.delete(group)
        await tx.session.flush()
        await tx.audit("group.delete", resource_type="group", resource_id=group.id,
                       organization_id=group.organization_id, old=old)
    await refresh_after_commit(info, *members)
    return DeleteGroupPayload(deleted_group_id=input.id)


async def remove_group_member(info: Info, input: RemoveGroupMemberInput
                              ) -> RemoveGroupMemberPayload:
    user_id = decode_global_id_of(input.user_id, types.User, field="userId")

    async def body() -> RemoveGroupMemberPayload:
        async with write(info) as tx:
            group = await _locked_group(info, tx, input.group_id, "groupId")
            removed = await tx.session.execute(delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.user_id == user_id)
                .returning(GroupMember.id))
            if removed.scalar() is None:
                raise InvalidInput(Problem("userId", "Not in this group", Code.NOT_MEMBER))
            await tx.audit("group.remove_member", resource_type="group", resource_id=group.id,
                           organization_id=group.organization_id, old={"user_id": user_id})
        await refresh_after_commit(info, user_id)
        return RemoveGroupMemberPayload(group=await group_node(info, group.id))

    return await mutation_payload(body, lambda e: RemoveGroupMemberPayload(user_errors=e))
