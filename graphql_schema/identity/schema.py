"""Root fields of the identity domain (wiring only; logic lives in resolvers/identity)."""

from __future__ import annotations

import strawberry

from db.loaders.identity import ORGANIZATIONS, USERS
from graphql_schema.context import Info
from graphql_schema.identity.inputs import (
    OrganizationFilter,
    OrganizationOrder,
    UserFilter,
    UserOrder,
)
from graphql_schema.identity.types import Organization, User
from graphql_schema.relations import connection
from resolvers.identity import queries


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The authenticated caller, or null.")
    async def viewer(self, info: Info) -> User | None:
        return await queries.viewer(info)

    @strawberry.field(description="An organization by its slug, if you may see it.")
    async def organization(self, info: Info, slug: str) -> Organization | None:
        return await queries.organization_by_slug(info, slug)

    organizations = connection(
        ORGANIZATIONS, Organization, OrganizationFilter, OrganizationOrder,
        description="Organizations you may see.",
    )

    users = connection(
        USERS, User, UserFilter, UserOrder,
        description="Users who share an organization with you.",
    )
