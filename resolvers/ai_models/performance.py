"""The root `performanceMetrics`: the series of an organization's models together, or of the
whole platform. An organization's are for its members (an organization the caller cannot see
is NOT_FOUND); the platform's (no organizationId) only for platform superusers, as they sum
every tenant's traffic (FORBIDDEN for anyone else)."""

from __future__ import annotations

from typing import Any

from db.loaders.performance import series_of_organization
from graphql_schema.ai_models.series import (
    PerformanceMetricFilter,
    PerformanceSeries,
    as_series,
    series_query,
)
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden, NotFound
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import require_authenticated


async def performance_metrics(info: Info, organization_id: str | None,
                              filter: PerformanceMetricFilter | None, bucket: Any
                              ) -> list[PerformanceSeries]:
    require_authenticated(info)
    query = series_query(filter, bucket, versions=False)
    if organization_id is None:
        if not info.context.principal.unrestricted:
            raise Forbidden("Platform-wide metrics are for platform superusers; pass "
                            "organizationId for an organization's")
        return as_series(await series_of_organization(info.context.db, query, None))
    org_id = decode_global_id_of(organization_id, Organization, field="organizationId")
    if await info.context.loaders.node(Organization).load(org_id) is None:
        raise NotFound("No such organization", field="organizationId")
    return as_series(await series_of_organization(info.context.db, query, org_id))
