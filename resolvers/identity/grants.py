"""revokeObjectPermission, grantUserPermission and revokeUserPermission.

Direct user permissions (user_permissions) add codenames to one member's role in one
organization, like a group of one; they count only while the user is a member there. Like
every grant they need group:manage, and you can only hand out what you hold. The grantee's
cached principal is dropped after the commit.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from db.models import ObjectPermission, Permission, UserPermission
from graphql_schema.context import Info
from graphql_schema.identity import types
from graphql_schema.identity.grant_inputs import (
    GrantUserPermissionInput,
    RevokeObjectPermissionInput,
    RevokeUserPermissionInput,
)
from graphql_schema.identity.payloads import (
    GrantUserPermissionPayload,
    RevokeObjectPermissionPayload,
    RevokeUserPermissionPayload,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.identity.groups import Code, forbid_unheld, permission_ids, unknown_codenames
from resolvers.identity.organizations import lock_organization, membership_of, refresh_after_commit
from resolvers.mutations import InvalidInput, Problem, Transaction, mutation_payload, require, write


async def revoke_object_permission(info: Info, input: RevokeObjectPermissionInput
                                   ) -> RevokeObjectPermissionPayload:
    grant_id = decode_global_id_of(input.id, types.ObjectPermissionGrant, field="id")
    async with write(info) as tx:
        grant = await tx.session.get(ObjectPermission, grant_id, with_for_update=True)
        require(info, "group:manage", grant.organization_id if grant else None)
        assert grant is not None
        codename = await tx.session.scalar(select(Permission.codename).where(
            Permission.id == grant.permission_id))
        await tx.session.delete(grant)
        await tx.session.flush()
        await tx.audit("object_permission.revoke", resource_type="object_permission",
                       resource_id=grant.id, organization_id=grant.organization_id,
                       old={"permission": codename, "object_id": grant.resource_id,
                            "user_id": grant.user_id, "group_id": grant.group_id})
    await refresh_after_commit(info)
    return RevokeObjectPermissionPayload(revoked_object_permission_id=input.id)


async def _member(info: Info, tx: Transaction, org_id: uuid.UUID, user_id: uuid.UUID
                  ) -> uuid.UUID:
    """The user's membership id there (the organization locked, vs. removeMember)."""
    await lock_organization(tx.session, org_id)
    membership = await membership_of(tx.session, org_id, user_id)
    if membership is None:
        raise InvalidInput(Problem("userId", "Not a member of this organization",
                                   Code.NOT_MEMBER))
    return membership.id


def _ids(info: Info, input: GrantUserPermissionInput | RevokeUserPermissionInput
         ) -> tuple[uuid.UUID, uuid.UUID]:
    org_id = decode_global_id_of(input.organization_id, types.Organization,
                                 field="organizationId")
    require(info, "group:manage", org_id)
    return org_id, decode_global_id_of(input.user_id, types.User, field="userId")


async def grant_user_permission(info: Info, input: GrantUserPermissionInput
                                ) -> GrantUserPermissionPayload:
    org_id, user_id = _ids(info, input)

    async def body() -> GrantUserPermissionPayload:
        if problems := unknown_codenames([input.permission], "permission"):
            raise InvalidInput(problems)
        if not info.context.principal.can(input.permission, org_id):
            forbid_unheld([input.permission])
        async with write(info) as tx:
            membership_id = await _member(info, tx, org_id, user_id)
            pk = (await permission_ids(tx.session, [input.permission]))[input.permission]
            if await tx.session.scalar(select(UserPermission.id).where(
                    UserPermission.organization_id == org_id, UserPermission.user_id == user_id,
                    UserPermission.permission_id == pk)):
                raise InvalidInput(Problem("permission", "Already granted",
                                           Code.ALREADY_GRANTED))
            grant = UserPermission(organization_id=org_id, user_id=user_id, permission_id=pk)
            tx.session.add(grant)
            await tx.session.flush()
            await tx.audit("user_permission.grant", resource_type="user_permission",
                           resource_id=grant.id, organization_id=org_id,
                           new={"user_id": user_id, "permission": input.permission})
        await refresh_after_commit(info, user_id)
        node = await info.context.loaders.node(types.Membership).load(membership_id)
        return GrantUserPermissionPayload(membership=node)

    return await mutation_payload(body, lambda e: GrantUserPermissionPayload(user_errors=e))


async def revoke_user_permission(info: Info, input: RevokeUserPermissionInput
                                 ) -> RevokeUserPermissionPayload:
    org_id, user_id = _ids(info, input)

    async def body() -> RevokeUserPermissionPayload:
        async with write(info) as tx:
            membership_id = await _member(info, tx, org_id, user_id)
            removed = await tx.session.execute(delete(UserPermission).where(
                UserPermission.organization_id == org_id, UserPermission.user_id == user_id,
                UserPermission.permission_id == select(Permission.id).where(
                    Permission.codename == input.permission).scalar_subquery())
                .returning(UserPermission.id))
            grant_id = removed.scalar()
            if grant_id is None:
                raise InvalidInput(Problem("permission", "Not granted to this member",
                                           Code.NOT_GRANTED))
            await tx.audit("user_permission.revoke", resource_type="user_permission",
                           resource_id=grant_id, organization_id=org_id,
                           old={"user_id": user_id, "permission": input.permission})
        await refresh_after_commit(info, user_id)
        node = await info.context.loaders.node(types.Membership).load(membership_id)
        return RevokeUserPermissionPayload(membership=node)

    return await mutation_payload(body, lambda e: RevokeUserPermissionPayload(user_errors=e))


