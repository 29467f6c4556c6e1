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
from graphql_schema.relay import Connection, PageArgs, resolve_connection
from resolvers.identity import queries


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The authenticated caller, or null.")
    async def viewer(self, info: Info) -> User | None:
        return await queries.viewer(info)

    @strawberry.field(description="An organization by its slug, if you may see it.")
    async def organization(self, info: Info, slug: str) -> Organization | None:
        return await queries.organization_by_slug(info, slug)

    @strawberry.field(description="Organizations you may see.")
    async def organizations(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: OrganizationFilter | None = None, order_by: OrganizationOrder | None = None,
    ) -> Connection[Organization]:
        return await resolve_connection(info, ORGANIZATIONS, Organization, None,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Users who share an organization with you.")
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: UserFilter | None = None, order_by: UserOrder | None = None,
    ) -> Connection[User]:
        return await resolve_connection(info, USERS, User, None,
                                        PageArgs(first, after, last, before), filter, order_by)
