"""Experiments: projects, experiments, training runs and the metric points runs report.

`run_metrics` is append-only and the largest table of the domain; it carries no updated_at
and one index, (run_id, step, id), which serves both a run's curve and keyset pages of it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Double, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, SoftDelete, Timestamps, UUIDPk
from db.models.identity import (
    created_by_fk,
    fk,
    ix,
    jsonb_object,
    one_of,
    org_listing,
    organization_fk,
    tags_column,
)

EXPERIMENT_STATUSES = ("active", "completed", "archived")
RUN_STATUSES = ("pending", "queued", "running", "completed", "failed", "cancelled")


class Project(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "name"), org_listing("projects"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    git_repository_url: Mapped[str | None] = mapped_column(Text)
    configuration: Mapped[dict[str, Any]] = jsonb_object()
    tags: Mapped[list[str]] = tags_column()
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class Experiment(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "experiments"
    __table_args__ = (
        one_of("status", EXPERIMENT_STATUSES),
        ix("experiments", "project_id", "id"),
        ix("experiments", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    project_id: Mapped[uuid.UUID] = fk("projects.id", ondelete="CASCADE", index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="active")
    git_branch: Mapped[str | None] = mapped_column(String(255))
    git_commit: Mapped[str | None] = mapped_column(String(64))  # SHA-1 or SHA-256 hex
    configuration: Mapped[dict[str, Any]] = jsonb_object()
    tags: Mapped[list[str]] = tags_column()
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class Run(UUIDPk, Timestamps, Base):
    """One training/evaluation execution; counters and summary are updated as it reports."""

    __tablename__ = "runs"
    __table_args__ = (
        one_of("status", RUN_STATUSES),
        ix("runs", "experiment_id", "id"),
        ix("runs", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    experiment_id: Mapped[uuid.UUID] = fk("experiments.id", ondelete="CASCADE", index=False)
    name: Mapped[str | None] = mapped_column(String(200))
    dataset_id: Mapped[uuid.UUID | None] = fk("datasets.id", ondelete="SET NULL", nullable=True)
    base_model_version_id: Mapped[uuid.UUID | None] = fk(
        "model_versions.id", ondelete="SET NULL", nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="pending")
    hyperparameters: Mapped[dict[str, Any]] = jsonb_object()
    summary_metrics: Mapped[dict[str, Any]] = jsonb_object()
    progress: Mapped[float] = mapped_column(Double, server_default=text("0"))
    current_epoch: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_epochs: Mapped[int | None] = mapped_column(Integer)
    current_step: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_steps: Mapped[int | None] = mapped_column(Integer)
    artifacts_location: Mapped[str | None] = mapped_column(Text)
    logs_location: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class RunMetric(UUIDPk, CreatedAt, Base):
    """One reported point; several may share a step (train and eval at the same step)."""

    __tablename__ = "run_metrics"
    __table_args__ = (ix("run_metrics", "run_id", "step", "id"),)

    organization_id: Mapped[uuid.UUID] = organization_fk()
    run_id: Mapped[uuid.UUID] = fk("runs.id", ondelete="CASCADE", index=False)
    step: Mapped[int] = mapped_column(Integer)
    epoch: Mapped[int | None] = mapped_column(Integer)
    loss: Mapped[float | None] = mapped_column(Double)
    accuracy: Mapped[float | None] = mapped_column(Double)
    learning_rate: Mapped[float | None] = mapped_column(Double)
    gpu_memory_mb: Mapped[float | None] = mapped_column(Double)
    custom: Mapped[dict[str, Any]] = jsonb_object()
