"""Root fields of the analysis domain (wiring only; logic lives in resolvers/analysis)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry

from db.loaders.analysis import ANALYSIS_JOBS
from graphql_schema.analysis.events import AnalysisJobProgressEvent
from graphql_schema.analysis.inputs import (
    AnalysisJobFilter,
    AnalysisJobOrder,
    CancelAnalysisJobInput,
    CreateAnalysisJobInput,
    DeleteAnalysisJobInput,
)
from graphql_schema.analysis.payloads import (
    CancelAnalysisJobPayload,
    CreateAnalysisJobPayload,
    DeleteAnalysisJobPayload,
)
from graphql_schema.analysis.types import AnalysisJob
from graphql_schema.context import Info
from graphql_schema.relations import connection
from resolvers.analysis import jobs, subscriptions


@strawberry.type
class AnalysisQuery:
    analysis_jobs = connection(
        ANALYSIS_JOBS, AnalysisJob, AnalysisJobFilter, AnalysisJobOrder,
        description="Analysis jobs of the organizations you may see.",
    )


@strawberry.type
class AnalysisMutation:
    @strawberry.mutation(description="Start an analysis job (status `pending`).")
    async def create_analysis_job(self, info: Info, input: CreateAnalysisJobInput
                                  ) -> CreateAnalysisJobPayload:
        return await jobs.create_analysis_job(info, input)

    @strawberry.mutation(description="Cancel a job that has not finished.")
    async def cancel_analysis_job(self, info: Info, input: CancelAnalysisJobInput
                                  ) -> CancelAnalysisJobPayload:
        return await jobs.cancel_analysis_job(info, input)

    @strawberry.mutation(description="Delete a job and its results.")
    async def delete_analysis_job(self, info: Info, input: DeleteAnalysisJobInput
                                  ) -> DeleteAnalysisJobPayload:
        return await jobs.delete_analysis_job(info, input)


@strawberry.type
class AnalysisSubscription:
    @strawberry.subscription(description="An analysis job's status changes and progress. The "
                                         "first event is the job as it is; the stream ends "
                                         "after its final status (completed, failed, "
                                         "cancelled).")
    async def analysis_job_progress(self, info: Info, job_id: strawberry.ID
                                    ) -> AsyncGenerator[AnalysisJobProgressEvent, None]:
        async with aclosing(subscriptions.analysis_job_progress(info, job_id)) as events:
            async for event in events:  # closed at once when the client goes, so the
                yield event             # Redis channel is left right away
