"""createOrganization, updateOrganization and the member mutations.

Each runs in one transaction: permission first (NOT_FOUND for what the caller cannot see,
FORBIDDEN for what it may see but not change), then input checks (userErrors), the write and
its audit row. Membership changes take the organization's row lock, so the "at least one
owner" rule holds under concurrent requests. After the commit, `refresh_after_commit` drops the
principal cache of every user whose memberships changed.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import (
    GroupMember,
    Membership,
    ObjectPermission,
    Organization,
    User,
    UserPermission,
)
from db.scope import Principal
from graphql_schema.context import Info, Loaders
from graphql_schema.errors import Forbidden, NotFound
from graphql_schema.identity import types
from graphql_schema.identity.inputs import (
    AddMemberInput,
    CreateOrganizationInput,
    RemoveMemberInput,
    UpdateMemberRoleInput,
    UpdateOrganizationInput,
)
from graphql_schema.identity.payloads import (
    AddMemberPayload,
    CreateOrganizationPayload,
    OrganizationErrorCode,
    RemoveMemberPayload,
    UpdateMemberRolePayload,
    UpdateOrganizationPayload,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require,
    require_authenticated,
    write,
)
from services.security.principals import invalidate_user, load_user, principal_of_user

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,98}[a-z0-9]$")
NAME_MAX = 200
OWNER = "owner"
Code = OrganizationErrorCode


# ------------------------------------------------------------------ shared helpers


def sees(principal: Principal, organization_id: uuid.UUID) -> bool:
    return principal.unrestricted or organization_id in (principal.organization_ids or ())


async def lock_organization(session: AsyncSession, organization_id: uuid.UUID) -> None:
    """Serialize membership changes of one organization (SELECT ... FOR UPDATE)."""
    found = await session.scalar(select(Organization.id).where(
        Organization.id == organization_id).with_for_update())
    if found is None:
        raise NotFound("No such organization", field="organizationId")


async def membership_of(session: AsyncSession, organization_id: uuid.UUID,
                        user_id: uuid.UUID) -> Membership | None:
    return await session.scalar(select(Membership).where(
        Membership.organization_id == organization_id, Membership.user_id == user_id))


async def refresh_after_commit(info: Info, *user_ids: uuid.UUID) -> None:
    """Drop the cached principals of `user_ids`; when the caller is one of them, re-read its
    roles and grants for the rest of this request. The request's loader caches are dropped too,
    so what the payload loads reflects the commit."""
    ctx = info.context
    await invalidate_user(ctx.redis, *user_ids)
    principal = ctx.principal
    if principal.user_id in user_ids and not principal.unrestricted:
        user = await load_user(ctx.db, ctx.redis, principal.user_id)
        if user is not None:
            fresh = principal_of_user(principal.user_id, user)
            roles = dict(fresh.roles)
            if principal.api_key_id is not None:  # a key stays inside its organizations
                roles = {o: r for o, r in roles.items() if o in principal.roles}
            ctx.principal = dataclasses.replace(
                principal, roles=roles, organization_ids=frozenset(roles), grants=fresh.grants)
    ctx.loaders = Loaders(ctx.db, ctx.principal)


def _text_problems(field: str, value: str, max_length: int) -> list[Problem]:
    if not value:
        return [Problem(field, f"{field} must not be empty", Code.INVALID)]
    if len(value) > max_length:
        return [Problem(field, f"{field}: at most {max_length} characters", Code.INVALID)]
    return []


def _slug_problems(slug: str) -> list[Problem]:
    if SLUG.fullmatch(slug):
        return []
    return [Problem("slug", "slug: 3 to 100 of a-z, 0-9 and '-', starting and ending with a "
                            "letter or digit", Code.INVALID)]


async def _slug_taken(session: AsyncSession, slug: str) -> bool:
    return await session.scalar(select(Organization.id).where(Organization.slug == slug)) \
        is not None


def _slug_taken_problem() -> InvalidInput:
    return InvalidInput(Problem("slug", "This slug is taken", Code.TAKEN))


def _membership_values(m: Membership) -> dict[str, Any]:
    return {"user_id": m.user_id, "role": m.role}


async def _membership_payload_node(info: Info, membership_id: uuid.UUID) -> types.Membership:
    return await info.context.loaders.node(types.Membership).load(membership_id)


# ------------------------------------------------------------------ organizations


async def create_organization(info: Info, input: CreateOrganizationInput
                              ) -> CreateOrganizationPayload:
    require_authenticated(info)
    principal = info.context.principal
    if principal.api_key_id is not None:
        raise Forbidden("API keys cannot create organizations: log in as a user")

    async def body() -> CreateOrganizationPayload:
        name = input.name.strip()
        problems = _text_problems("name", name, NAME_MAX) + _slug_problems(input.slug)
        async with write(info) as tx:
            if not problems and await _slug_taken(tx.session, input.slug):
                raise _slug_taken_problem()
            if problems:
                raise InvalidInput(problems)
            org = Organization(name=name, slug=input.slug, description=input.description)
            tx.session.add(org)
            try:
                await tx.session.flush()
            except IntegrityError:
                raise _slug_taken_problem() from None
            if principal.user_id is not None:
                tx.session.add(Membership(organization_id=org.id, user_id=principal.user_id,
                                          role=OWNER))
            await tx.audit("organization.create", resource_type="organization",
                           resource_id=org.id, organization_id=org.id,
                           new={"name": name, "slug": input.slug,
                                "description": input.description, "owner": principal.user_id})
        await refresh_after_commit(info, *([principal.user_id] if principal.user_id else []))
        node = await info.context.loaders.node(types.Organization).load(org.id)
        return CreateOrganizationPayload(organization=node)

    return await mutation_payload(body, lambda e: CreateOrganizationPayload(user_errors=e))


async def update_organization(info: Info, input: UpdateOrganizationInput
                              ) -> UpdateOrganizationPayload:
    org_id = decode_global_id_of(input.id, types.Organization, field="id")
    require(info, "organization:update", org_id)

    async def body() -> UpdateOrganizationPayload:
        changes, problems = _organization_changes(input)
        async with write(info) as tx:
            org = await tx.session.get(Organization, org_id, with_for_update=True)
            if org is None:
                raise NotFound("No such organization", field="id")
            slug = changes.get("slug")
            if not problems and slug not in (None, org.slug) and await _slug_taken(
                    tx.session, slug):
                raise _slug_taken_problem()
            if problems:
                raise InvalidInput(problems)
            old = {k: getattr(org, k) for k in changes}
            for key, value in changes.items():
                setattr(org, key, value)
            try:
                await tx.session.flush()
            except IntegrityError:
                raise _slug_taken_problem() from None
            await tx.audit("organization.update", resource_type="organization",
                           resource_id=org.id, organization_id=org.id, old=old, new=changes)
        await refresh_after_commit(info)
        node = await info.context.loaders.node(types.Organization).load(org_id)
        return UpdateOrganizationPayload(organization=node)

    return await mutation_payload(body, lambda e: UpdateOrganizationPayload(user_errors=e))


def _organization_changes(input: UpdateOrganizationInput
                          ) -> tuple[dict[str, Any], list[Problem]]:
    """The fields passed (absent ones stay unchanged), and their problems."""
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    if input.name is not None:
        changes["name"] = input.name.value.strip()
        problems += _text_problems("name", changes["name"], NAME_MAX)
    if input.slug is not None:
        changes["slug"] = input.slug.value
        problems += _slug_problems(changes["slug"])
    if input.description is not None:
        changes["description"] = input.description.value
    if input.settings is not None:
        changes["settings"] = input.settings.value
        if not isinstance(changes["settings"], dict):
            problems.append(Problem("settings", "settings must be a JSON object", Code.INVALID))
    return changes, problems


# ------------------------------------------------------------------ members


def require_role_change(info: Info, organization_id: uuid.UUID, *roles: str) -> None:
    require(info, "member:manage", organization_id)
    if OWNER in roles:
        require(info, "owner:manage", organization_id)


async def _add_membership(
    session: AsyncSession, organization_id: uuid.UUID, user: User, role: str, field: str
) -> Membership:
    if await membership_of(session, organization_id, user.id) is not None:
        raise InvalidInput(Problem(field, "Already a member of this organization",
                                   Code.ALREADY_MEMBER))
    membership = Membership(organization_id=organization_id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership


async def add_member(info: Info, input: AddMemberInput) -> AddMemberPayload:
    org_id = decode_global_id_of(input.organization_id, types.Organization,
                                 field="organizationId")
    user_id = decode_global_id_of(input.user_id, types.User, field="userId")
    role = input.role.value
    require_role_change(info, org_id, role)

    async def body() -> AddMemberPayload:
        async with write(info) as tx:
            await lock_organization(tx.session, org_id)
            user = await tx.session.get(User, user_id)
            if user is None or user.deleted_at is not None:
                raise NotFound("No such user", field="userId")
            membership = await _add_membership(tx.session, org_id, user, role, "userId")
            await tx.audit("membership.create", resource_type="membership",
                           resource_id=membership.id, organization_id=org_id,
                           new=_membership_values(membership))
        await refresh_after_commit(info, user_id)
        return AddMemberPayload(membership=await _membership_payload_node(info, membership.id))

    return await mutation_payload(body, lambda e: AddMemberPayload(user_errors=e))


async def _locked_membership(info: Info, session: AsyncSession, global_id: str) -> Membership:
    """The membership behind `membershipId`, read again under its organization's lock."""
    require_authenticated(info)
    membership_id = decode_global_id_of(global_id, types.Membership, field="membershipId")
    membership = await session.get(Membership, membership_id)
    if membership is None or not sees(info.context.principal, membership.organization_id):
        raise NotFound("No such membership", field="membershipId")
    await lock_organization(session, membership.organization_id)
    membership = await session.get(Membership, membership_id, populate_existing=True)
    if membership is None:
        raise NotFound("No such membership", field="membershipId")
    return membership


async def _check_not_last_owner(session: AsyncSession, membership: Membership,
                                field: str) -> None:
    if membership.role != OWNER:
        return
    owners = await session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organization_id == membership.organization_id, Membership.role == OWNER))
    if owners is not None and owners <= 1:
        raise InvalidInput(Problem(field, "An organization must keep at least one owner",
                                   Code.LAST_OWNER))


async def update_member_role(info: Info, input: UpdateMemberRoleInput
                             ) -> UpdateMemberRolePayload:
    role = input.role.value

    async def body() -> UpdateMemberRolePayload:
        async with write(info) as tx:
            membership = await _locked_membership(info, tx.session, input.membership_id)
            require_role_change(info, membership.organization_id, membership.role, role)
            if role != OWNER:
                await _check_not_last_owner(tx.session, membership, "role")
            old = _membership_values(membership)
            membership.role = role
            await tx.session.flush()
            await tx.audit("membership.update_role", resource_type="membership",
                           resource_id=membership.id, organization_id=membership.organization_id,
                           old=old, new=_membership_values(membership))
        await refresh_after_commit(info, membership.user_id)
        node = await _membership_payload_node(info, membership.id)
        return UpdateMemberRolePayload(membership=node)

    return await mutation_payload(body, lambda e: UpdateMemberRolePayload(user_errors=e))


async def remove_member(info: Info, input: RemoveMemberInput) -> RemoveMemberPayload:
    async def body() -> RemoveMemberPayload:
        async with write(info) as tx:
            m = await _locked_membership(info, tx.session, input.membership_id)
            if m.user_id != info.context.principal.user_id:  # anyone may leave
                require_role_change(info, m.organization_id, m.role)
            await _check_not_last_owner(tx.session, m, "membershipId")
            org_id, user_id = m.organization_id, m.user_id
            for table in (GroupMember, UserPermission, ObjectPermission):
                await tx.session.execute(delete(table).where(
                    table.organization_id == org_id, table.user_id == user_id))
            await tx.session.delete(m)
            await tx.session.flush()
            await tx.audit("membership.delete", resource_type="membership", resource_id=m.id,
                           organization_id=org_id, old=_membership_values(m))
        await refresh_after_commit(info, user_id)
        return RemoveMemberPayload(removed_membership_id=relay.to_base64("Membership", m.id))

    return await mutation_payload(body, lambda e: RemoveMemberPayload(user_errors=e))
