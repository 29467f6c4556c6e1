"""deleteOrganization: an owner deletes an organization, for everyone at once.

The row is marked deleted (services/purge.py removes it and everything in it after
AIPLATFORM_ORGANIZATION_PURGE_DAYS). Its members' principals no longer include it (a deleted
organization's memberships count for nothing, services/security/principals.py), so no read of
theirs reaches its rows; its API keys are revoked. After the commit every member's cached
principal and every key's cache entry is dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from db.models import ApiKey, Membership, Organization
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.identity import types
from graphql_schema.identity.inputs import DeleteOrganizationInput
from graphql_schema.identity.payloads import DeleteOrganizationPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.identity.organizations import refresh_after_commit
from resolvers.mutations import require, write
from services.security.api_keys import invalidate_api_key


async def delete_organization(info: Info, input: DeleteOrganizationInput
                              ) -> DeleteOrganizationPayload:
    org_id = decode_global_id_of(input.id, types.Organization, field="id")
    require(info, "organization:delete", org_id)
    async with write(info) as tx:
        org = await tx.session.get(Organization, org_id, with_for_update=True)
        if org is None or org.deleted_at is not None:
            raise NotFound("No such organization", field="id")
        now = datetime.now(UTC)
        org.deleted_at = now
        members = list(await tx.session.scalars(select(Membership.user_id).where(
            Membership.organization_id == org_id)))
        keys = list(await tx.session.scalars(
            update(ApiKey).where(ApiKey.organization_id == org_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now).returning(ApiKey.key_hash)))
        await tx.audit("organization.delete", resource_type="organization", resource_id=org_id,
                       organization_id=org_id, old={"name": org.name, "slug": org.slug},
                       new={"members": len(members), "revoked_api_keys": len(keys)})
    await invalidate_api_key(info.context.redis, *keys)
    await refresh_after_commit(info, *members)
    return DeleteOrganizationPayload(deleted_organization_id=input.id)
