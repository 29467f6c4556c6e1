"""Analysis jobs and their results as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.analysis import RESULTS_BY_JOB
from graphql_schema.analysis.enums import AnalysisJobStatus
from graphql_schema.analysis.inputs import AnalysisResultFilter, AnalysisResultOrder
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, TableNode, resolve_connection
from graphql_schema.scalars import BigInt

if TYPE_CHECKING:
    from graphql_schema.datasets.types import File
    from graphql_schema.identity.types import Organization

IDENTITY = "graphql_schema.identity.types"
DATASETS = "graphql_schema.datasets.types"


@strawberry.type(description="An analysis of an uploaded file (e.g. charging logs).")
class AnalysisJob(TableNode):
    _table = "analysis_jobs"
    _redacted = ("parameters",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    analysis_type: str
    file_path: str | None
    file_size: BigInt | None
    file_type: str | None
    parameters: JSON = strawberry.field(description="Job settings; secrets are redacted.")
    status: AnalysisJobStatus
    progress: float
    result_data: JSON | None = strawberry.field(description="Raw output; null until it finishes.")
    error_message: str | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    file_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import Organization

        return await info.context.loaders.node(Organization).load(self.organization_id)

    @strawberry.field(description="The file analysed.")
    async def file(self, info: Info) -> Annotated[File, strawberry.lazy(DATASETS)] | None:
        from graphql_schema.datasets.types import File

        return await info.context.loaders.load(File, self.file_id)

    @strawberry.field(description="Findings of this job.")
    async def results(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: AnalysisResultFilter | None = None, order_by: AnalysisResultOrder | None = None,
    ) -> Connection[AnalysisResult]:
        return await resolve_connection(info, RESULTS_BY_JOB, AnalysisResult, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


@strawberry.type(description="One finding of an analysis job.")
class AnalysisResult(TableNode):
    _table = "analysis_results"

    id: relay.NodeID[uuid.UUID]
    result_type: str
    title: str
    content: str | None
    confidence_score: float | None = strawberry.field(description="Between 0 and 1.")
    metadata: JSON
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    job_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def job(self, info: Info) -> AnalysisJob | None:
        return await info.context.loaders.node(AnalysisJob).load(self.job_id)
