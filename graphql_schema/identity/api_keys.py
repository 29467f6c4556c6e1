"""API keys: the `ApiKey` node, its inputs and payloads, and the `ApiKeysMutation` root.

The secret goes to the client once, in `CreateApiKeyPayload.secret`; the node shows only the
prefix, never the hash.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum, StrEnum

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.identity.types import Organization
from graphql_schema.relations import to_one
from graphql_schema.relay import OrderDirection, TableNode


class ApiKeyErrorCode(StrEnum):
    """`userErrors[].code` values of the API key mutations."""

    INVALID_NAME = "INVALID_NAME"
    UNKNOWN_SCOPE = "UNKNOWN_SCOPE"
    SCOPE_NOT_GRANTED = "SCOPE_NOT_GRANTED"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    INVALID_EXPIRY = "INVALID_EXPIRY"


@strawberry.type(description="A key for scripts and training jobs: `Authorization: Bearer "
                             "aip_<prefix>_<secret>`. Acts for its owner in one organization, "
                             "limited to its scopes.")
class ApiKey(TableNode):
    _table = "api_keys"

    id: relay.NodeID[uuid.UUID]
    name: str
    prefix: str = strawberry.field(description="The visible start of the key, `aip_<prefix>_`.")
    scopes: list[str] = strawberry.field(description="Permission codenames the key may use; "
                                                     "empty means read-only.")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(
        description="Updated at most once a minute.")
    revoked_at: datetime | None
    organization_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]

    organization = to_one(Organization, "organization_id")


@strawberry.input(description="API keys matching all given conditions.")
class ApiKeyFilter:
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ApiKeyOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ApiKeyOrder:
    field: ApiKeyOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="A new key for you in one organization (needs `apikey:manage`).")
class CreateApiKeyInput:
    organization_id: strawberry.ID
    name: str = strawberry.field(description="1 to 200 characters, for you to recognise it.")
    scopes: list[str] = strawberry.field(
        description="Permission codenames (`model:write`, ...), each granted by your role.")
    expires_at: datetime | None = strawberry.field(default=None,
                                                   description="Never expires when null.")


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type(description="Codes: INVALID_NAME, UNKNOWN_SCOPE, SCOPE_NOT_GRANTED, "
                             "NOT_A_MEMBER, INVALID_EXPIRY.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(
        default=None, description="The whole key. Shown only here, once: store it now.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


# Below the payloads on purpose: the resolvers import them from this (partly loaded) module.
from resolvers.identity import api_keys  # noqa: E402


@strawberry.type
class ApiKeysMutation:
    @strawberry.mutation(description="Create an API key; its secret is in the payload, once.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        return await api_keys.create_api_key(info, input)

    @strawberry.mutation(description="Revoke an API key: yours, or any in an organization where "
                                     "you have `apikey:manage`. Takes effect at once.")
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        return await api_keys.revoke_api_key(info, input)
