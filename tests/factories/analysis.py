"""Factories of the analysis domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AnalysisJob, AnalysisResult, File, Organization

_seq = itertools.count(1)


async def make_analysis_job(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    analysis_type: str = "charging", status: str = "pending", file: File | None = None,
    parameters: dict | None = None,
) -> AnalysisJob:
    job = AnalysisJob(
        organization_id=organization.id, name=name or f"job-{next(_seq)}",
        analysis_type=analysis_type, status=status, file_id=file.id if file else None,
        parameters=parameters or {},
    )
    session.add(job)
    await session.flush()
    return job


async def make_analysis_result(
    session: AsyncSession, *, job: AnalysisJob, title: str | None = None,
    result_type: str = "anomaly", confidence_score: float | None = None,
) -> AnalysisResult:
    result = AnalysisResult(
        organization_id=job.organization_id, job_id=job.id, result_type=result_type,
        title=title or f"finding {next(_seq)}", confidence_score=confidence_score,
    )
    session.add(result)
    await session.flush()
    return result
