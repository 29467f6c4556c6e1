"""createApiKey and revokeApiKey.

A key's scopes must be known codenames that the creator's role in the organization grants
(and, when the creator is itself an API key, that key's scopes too), so a key can never do
more than the person who made it. Audit rows record the prefix, never the secret or its hash.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from db.models import ApiKey as ApiKeyRow
from db.models import Membership
from db.permissions import ALL_PERMISSIONS, ROLE_PERMISSIONS
from db.scope import Principal
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.identity.inputs import CreateApiKeyInput, RevokeApiKeyInput
from graphql_schema.identity.payloads import (
    ApiKeyErrorCode,
    CreateApiKeyPayload,
    RevokeApiKeyPayload,
)
from graphql_schema.identity.types import ApiKey, Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require,
    require_authenticated,
    write,
)
from services.security.api_keys import generate_api_key, invalidate_api_key

MAX_NAME = 200


def as_node(row: ApiKeyRow) -> ApiKey:
    return ApiKey.from_record(tuple(getattr(row, c) for c in ApiKey.columns()))


def _audit_values(row: ApiKeyRow) -> dict[str, Any]:
    return {"name": row.name, "prefix": row.prefix, "scopes": list(row.scopes),
            "user_id": row.user_id, "expires_at": row.expires_at, "revoked_at": row.revoked_at}


def _grantable(principal: Principal, org_id: uuid.UUID, role: str | None) -> frozenset[str]:
    """What the creator may do there: their role (and grants), within their own key's scopes.
    A superuser's key gets no more than the superuser's membership role."""
    if role is None:
        return frozenset()
    if principal.is_superuser:
        allowed = ROLE_PERMISSIONS[role]
        return allowed if principal.scopes is None else allowed & principal.scopes
    return frozenset(p for p in ALL_PERMISSIONS if principal.can(p, org_id))


def _problems(info: Info, input: CreateApiKeyInput, org_id: uuid.UUID, role: str | None
              ) -> list[Problem]:
    problems = []
    name = input.name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        problems.append(Problem("name", f"Give the key a name of 1 to {MAX_NAME} characters",
                                ApiKeyErrorCode.INVALID_NAME))
    if role is None:
        problems.append(Problem("organizationId", "Only members of an organization can have "
                                "keys for it", ApiKeyErrorCode.NOT_A_MEMBER))
    unknown = sorted(set(input.scopes) - ALL_PERMISSIONS)
    if unknown:
        problems.append(Problem("scopes", f"Unknown scopes: {', '.join(unknown)}",
                                ApiKeyErrorCode.UNKNOWN_SCOPE))
    granted = _grantable(info.context.principal, org_id, role)
    beyond = sorted(set(input.scopes) - granted - set(unknown))
    if role is not None and beyond:
        problems.append(Problem("scopes", f"Your role does not grant: {', '.join(beyond)}",
                                ApiKeyErrorCode.SCOPE_NOT_GRANTED))
    if input.expires_at is not None and (
            input.expires_at.tzinfo is None or input.expires_at <= datetime.now(UTC)):
        problems.append(Problem("expiresAt", "Give a future time with a time zone, or null",
                                ApiKeyErrorCode.INVALID_EXPIRY))
    return problems


async def create_api_key(info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")

    async def body() -> CreateApiKeyPayload:
        async with write(info) as tx:
            require(info, "apikey:manage", org_id)
            owner = info.context.principal.user_id
            role = await tx.session.scalar(select(Membership.role).where(
                Membership.user_id == owner, Membership.organization_id == org_id))
            problems = _problems(info, input, org_id, role)
            if problems:
                raise InvalidInput(problems)
            secret, prefix, key_hash = generate_api_key()
            row = ApiKeyRow(organization_id=org_id, user_id=owner, name=input.name.strip(),
                            prefix=prefix, key_hash=key_hash, scopes=sorted(set(input.scopes)),
                            expires_at=input.expires_at)
            tx.session.add(row)
            await tx.session.flush()
            await tx.session.refresh(row)
            await tx.audit("api_key.create", resource_type="api_key", resource_id=row.id,
                           organization_id=org_id, new=_audit_values(row))
        return CreateApiKeyPayload(api_key=as_node(row), secret=secret)

    return await mutation_payload(body, lambda errors: CreateApiKeyPayload(user_errors=errors))


async def revoke_api_key(info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
    """The owner may revoke their key (from a login session, or with the key itself); anyone
    else needs `apikey:manage` in its organization. Revoking twice changes nothing."""
    require_authenticated(info)
    key_id = decode_global_id_of(input.id, ApiKey, field="id")
    principal = info.context.principal
    async with write(info) as tx:
        row = await tx.session.scalar(
            select(ApiKeyRow).where(ApiKeyRow.id == key_id).with_for_update())
        if row is None:
            raise NotFound("No such object")
        own = row.user_id == principal.user_id and principal.api_key_id in (None, row.id)
        if not own:
            require(info, "apikey:manage", row.organization_id)
        if row.revoked_at is None:
            old = _audit_values(row)
            row.revoked_at = datetime.now(UTC)
            await tx.audit("api_key.revoke", resource_type="api_key", resource_id=row.id,
                           organization_id=row.organization_id, old=old, new=_audit_values(row))
    await invalidate_api_key(info.context.redis, row.key_hash)
    return RevokeApiKeyPayload(api_key=as_node(row))
