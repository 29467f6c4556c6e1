"""createAnalysisJob, cancelAnalysisJob and deleteAnalysisJob.

Each needs analysis:write in the job's organization: NOT_FOUND when the caller cannot see it,
FORBIDDEN when it may only read. A job's file must be a live file of the same organization.
Input problems come back together as userErrors and nothing is written. A cancelled job's
new status goes to `analysisJobProgress` subscribers after the commit, and a running analysis
stops reading its log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import AnalysisJob, File
from graphql_schema.analysis import types
from graphql_schema.analysis.inputs import (
    CancelAnalysisJobInput,
    CreateAnalysisJobInput,
    DeleteAnalysisJobInput,
)
from graphql_schema.analysis.payloads import (
    AnalysisErrorCode,
    CancelAnalysisJobPayload,
    CreateAnalysisJobPayload,
    DeleteAnalysisJobPayload,
)
from graphql_schema.context import Info
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.datasets.references import same_organization_file
from resolvers.input_checks import Checks, json_or_empty
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import forget, fresh_node
from resolvers.system.live import node_record, publish
from services.charging.progress import JOB, STATUS_CHANGED
from services.jobs.enqueue import enqueue
from services.jobs.tasks import ANALYSE_CHARGING_LOG
from services.pubsub import analysis_job_channel

PERMISSION = "analysis:write"
CHARGING = "charging"  # the analysis type a worker runs (services/charging/)
NAME_MAX = 200
CANCELLABLE = ("pending", "queued", "processing")


async def locked_job(session: AsyncSession, info: Info, global_id: str) -> AnalysisJob:
    """The job behind `global_id`, row-locked, once the caller may write it."""
    job_id = decode_global_id_of(global_id, types.AnalysisJob, field="id")
    job = await session.get(AnalysisJob, job_id, with_for_update=True)
    require(info, PERMISSION, job.organization_id if job is not None else None)
    assert job is not None  # require() refuses a missing row as NOT_FOUND
    return job


async def create_analysis_job(info: Info, input: CreateAnalysisJobInput
                              ) -> CreateAnalysisJobPayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, PERMISSION, org_id)

    async def body() -> CreateAnalysisJobPayload:
        c = Checks()
        values = {
            "name": c.name("name", input.name, NAME_MAX),
            "description": c.text("description", input.description),
            "analysis_type": c.identifier("analysisType", input.analysis_type),
            "parameters": c.json_object("parameters", json_or_empty(input.parameters)),
        }
        async with write(info) as tx:
            file_id = await same_organization_file(tx.session, input.file_id, org_id)
            c.raise_if_any()
            described = await _file_details(tx.session, file_id)
            job = AnalysisJob(organization_id=org_id, status="pending", file_id=file_id,
                              created_by=info.context.principal.user_id, **values, **described)
            tx.session.add(job)
            await tx.session.flush()
            if job.analysis_type == CHARGING:  # run by a worker once this transaction commits
                await enqueue(tx.session, ANALYSE_CHARGING_LOG, job_id=str(job.id))
            await tx.audit("analysis_job.create", resource_type="AnalysisJob",
                           resource_id=job.id, organization_id=org_id,
                           new={**values, "file_id": file_id, "status": "pending"})
        node = await fresh_node(info, types.AnalysisJob, job.id)
        return CreateAnalysisJobPayload(analysis_job=node)

    return await mutation_payload(body, lambda e: CreateAnalysisJobPayload(user_errors=e))


async def _file_details(session: AsyncSession, file_id: uuid.UUID | None) -> dict[str, object]:
    """What the job records of its file, so the job still describes it if the file goes."""
    file = None if file_id is None else await session.get(File, file_id)
    if file is None:
        return {}
    return {"file_path": file.storage_path, "file_size": file.size_bytes,
            "file_type": (file.file_type or "")[:20] or None}


async def cancel_analysis_job(info: Info, input: CancelAnalysisJobInput
                              ) -> CancelAnalysisJobPayload:
    async def body() -> CancelAnalysisJobPayload:
        async with write(info) as tx:
            job = await locked_job(tx.session, info, input.id)
            if job.status not in CANCELLABLE:
                raise InvalidInput(Problem("id", f"The job is {job.status}: only a pending, "
                                                 "queued or processing job can be cancelled",
                                           AnalysisErrorCode.INVALID_TRANSITION))
            old = job.status
            job.status = "cancelled"
            job.completed_at = datetime.now(UTC)
            await tx.session.flush()
            await tx.audit("analysis_job.cancel", resource_type="AnalysisJob",
                           resource_id=job.id, organization_id=job.organization_id,
                           old={"status": old}, new={"status": "cancelled"})
        node = await fresh_node(info, types.AnalysisJob, job.id)
        if node is not None:
            await publish(info, analysis_job_channel(job.id),
                          {"type": STATUS_CHANGED, JOB: node_record(node)})
        return CancelAnalysisJobPayload(analysis_job=node)

    return await mutation_payload(body, lambda e: CancelAnalysisJobPayload(user_errors=e))


async def delete_analysis_job(info: Info, input: DeleteAnalysisJobInput
                              ) -> DeleteAnalysisJobPayload:
    async def body() -> DeleteAnalysisJobPayload:
        async with write(info) as tx:
            job = await locked_job(tx.session, info, input.id)
            if job.status == "processing":
                raise InvalidInput(Problem("id", "The job is processing: cancel it first",
                                           AnalysisErrorCode.ACTIVE))
            old = {"name": job.name, "status": job.status, "file_id": job.file_id}
            await tx.session.delete(job)  # its results go with it (ON DELETE CASCADE)
            await tx.session.flush()
            await tx.audit("analysis_job.delete", resource_type="AnalysisJob",
                           resource_id=job.id, organization_id=job.organization_id, old=old)
        forget(info, types.AnalysisJob, job.id)
        return DeleteAnalysisJobPayload(
            deleted_analysis_job_id=relay.to_base64("AnalysisJob", job.id))

    return await mutation_payload(body, lambda e: DeleteAnalysisJobPayload(user_errors=e))
