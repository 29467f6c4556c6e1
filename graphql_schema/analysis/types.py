"""Analysis jobs and their results as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.analysis import RESULTS_BY_JOB
from graphql_schema.analysis.enums import AnalysisJobStatus
from graphql_schema.analysis.inputs import AnalysisResultFilter, AnalysisResultOrder
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode
from graphql_schema.scalars import BigInt

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

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    file = to_one(lazy("File", DATASETS), "file_id", description="The file analysed.")

    results = connection(
        RESULTS_BY_JOB, lazy("AnalysisResult", __name__), AnalysisResultFilter, AnalysisResultOrder,
        description="Findings of this job.",
    )


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

    job = to_one(AnalysisJob, "job_id")
