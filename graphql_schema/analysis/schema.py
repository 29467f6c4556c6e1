"""Root fields of the analysis domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.analysis import ANALYSIS_JOBS
from graphql_schema.analysis.inputs import AnalysisJobFilter, AnalysisJobOrder
from graphql_schema.analysis.types import AnalysisJob
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class AnalysisQuery:
    @strawberry.field(description="Analysis jobs of the organizations you may see.")
    async def analysis_jobs(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: AnalysisJobFilter | None = None, order_by: AnalysisJobOrder | None = None,
    ) -> Connection[AnalysisJob]:
        return await resolve_connection(info, ANALYSIS_JOBS, AnalysisJob, None,
                                        PageArgs(first, after, last, before), filter, order_by)
