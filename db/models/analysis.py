"""Analysis: jobs that analyse an uploaded file (e.g. charging logs) and their findings.

The job keeps the raw `result_data`; each finding worth listing, filtering or scoring is an
`analysis_results` row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Double, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, Timestamps, UUIDPk
from db.models.identity import (
    created_by_fk,
    fk,
    ix,
    jsonb_object,
    one_of,
    org_listing,
    organization_fk,
)

JOB_STATUSES = ("pending", "queued", "processing", "completed", "failed", "cancelled")


class AnalysisJob(UUIDPk, Timestamps, Base):
    __tablename__ = "analysis_jobs"
    __table_args__ = (
        one_of("status", JOB_STATUSES),
        org_listing("analysis_jobs"),
        ix("analysis_jobs", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    analysis_type: Mapped[str] = mapped_column(String(50), index=True, server_default="charging")
    file_id: Mapped[uuid.UUID | None] = fk("files.id", ondelete="SET NULL", nullable=True)
    file_path: Mapped[str | None] = mapped_column(Text)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_type: Mapped[str | None] = mapped_column(String(20))
    parameters: Mapped[dict[str, Any]] = jsonb_object()
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="pending")
    progress: Mapped[float] = mapped_column(Double, server_default=text("0"))
    result_data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # NULL until it finishes
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class AnalysisResult(UUIDPk, CreatedAt, Base):
    __tablename__ = "analysis_results"
    __table_args__ = (
        CheckConstraint("confidence_score >= 0 AND confidence_score <= 1", name="confidence_score"),
        ix("analysis_results", "job_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    job_id: Mapped[uuid.UUID] = fk("analysis_jobs.id", ondelete="CASCADE", index=False)
    result_type: Mapped[str] = mapped_column(String(50), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str | None] = mapped_column(Text)
    confidence_score: Mapped[float | None] = mapped_column(Double)
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
