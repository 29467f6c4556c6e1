"""Root fields of the deployments domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.deployments import APPLICATIONS, DEPLOYMENTS
from graphql_schema.context import Info
from graphql_schema.deployments.inputs import (
    ApplicationFilter,
    ApplicationOrder,
    DeploymentFilter,
    DeploymentOrder,
)
from graphql_schema.deployments.types import Application, Deployment
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class DeploymentsQuery:
    @strawberry.field(description="Deployments of the organizations you may see.")
    async def deployments(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: DeploymentFilter | None = None, order_by: DeploymentOrder | None = None,
    ) -> Connection[Deployment]:
        return await resolve_connection(info, DEPLOYMENTS, Deployment, None,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Applications of the organizations you may see.")
    async def applications(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ApplicationFilter | None = None, order_by: ApplicationOrder | None = None,
    ) -> Connection[Application]:
        return await resolve_connection(info, APPLICATIONS, Application, None,
                                        PageArgs(first, after, last, before), filter, order_by)
