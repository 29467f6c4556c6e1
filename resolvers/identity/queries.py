"""Root queries of the identity domain."""

from __future__ import annotations

from graphql_schema.context import Info
from graphql_schema.identity.types import Organization, User


async def viewer(info: Info) -> User | None:
    user_id = info.context.principal.user_id
    if user_id is None:
        return None
    return await info.context.loaders.node(User).load(user_id)


async def organization_by_slug(info: Info, slug: str) -> Organization | None:
    return await info.context.loaders.node(Organization, "slug").load(slug)
