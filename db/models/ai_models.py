"""AI models: the catalogue of models a tenant can call or train, their versions and usage.

`model_versions.source_run_id` and `runs.base_model_version_id` point at each other (a run
fine-tunes a version and produces a new one); the FK on this side is added with ALTER so the
two tables can be created at all.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, SoftDelete, Timestamps, UUIDPk
from db.models.identity import (
    created_by_fk,
    fk,
    flag,
    ix,
    jsonb_array,
    jsonb_object,
    one_of,
    org_listing,
    organization_fk,
    tags_column,
)

MODEL_STATUSES = ("active", "inactive", "deprecated", "archived")
VERSION_STATUSES = ("draft", "staging", "production", "archived")
USAGE_STATUSES = ("success", "error", "timeout", "cancelled")
ALERT_DIRECTIONS = ("above", "below")


class AIModel(UUIDPk, Timestamps, SoftDelete, Base):
    """A callable or trainable model; `provider` + `config` say how to reach it."""

    __tablename__ = "ai_models"
    __table_args__ = (
        # names are unique among live models: a deleted model's name can be used again
        Index("uq_ai_models_organization_id_name_live", "organization_id", "name", unique=True,
              postgresql_where=text("deleted_at IS NULL")),
        one_of("status", MODEL_STATUSES),
        org_listing("ai_models"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(100), index=True)
    model_type: Mapped[str] = mapped_column(String(50), index=True)
    framework: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = jsonb_object()
    pricing: Mapped[dict[str, Any]] = jsonb_object()
    capabilities: Mapped[list[Any]] = jsonb_array()
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="active")
    max_tokens: Mapped[int | None] = mapped_column(Integer)
    context_window: Mapped[int | None] = mapped_column(Integer)
    tags: Mapped[list[str]] = tags_column()
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class ModelVersion(UUIDPk, Timestamps, Base):
    """A trained or imported artefact of a model; `artifacts` lists its serving formats."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version"),
        one_of("status", VERSION_STATUSES),
        ix("model_versions", "model_id", "id"),
        # at most one production version per model (promoteModelVersion archives the old one)
        Index("uq_model_versions_one_production", "model_id", unique=True,
              postgresql_where=text("status = 'production'")),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    model_id: Mapped[uuid.UUID] = fk("ai_models.id", ondelete="CASCADE", index=False)
    version: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="draft")
    storage_location: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = jsonb_object()
    parameters: Mapped[dict[str, Any]] = jsonb_object()
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    source_run_id: Mapped[uuid.UUID | None] = fk(
        "runs.id", ondelete="SET NULL", nullable=True, use_alter=True
    )
    is_default: Mapped[bool] = flag(False)
    artifacts: Mapped[dict[str, Any]] = jsonb_object()
    file_id: Mapped[uuid.UUID | None] = fk("files.id", ondelete="SET NULL", nullable=True)
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class ModelUsageLog(UUIDPk, CreatedAt, Base):
    """One call to a model (append-only): the source of token, cost and latency reports."""

    __tablename__ = "model_usage_logs"
    __table_args__ = (
        one_of("status", USAGE_STATUSES),
        ix("model_usage_logs", "model_id", "id"),
        ix("model_usage_logs", "created_at"),
        # a deployment's recent calls (Deployment.metrics), an organization's month (budget)
        ix("model_usage_logs", "deployment_id", "created_at"),
        ix("model_usage_logs", "organization_id", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    model_id: Mapped[uuid.UUID] = fk("ai_models.id", ondelete="CASCADE", index=False)
    session_id: Mapped[uuid.UUID | None] = fk(
        "chat_sessions.id", ondelete="SET NULL", nullable=True
    )
    request_type: Mapped[str] = mapped_column(String(50))
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    total_tokens: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 6))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    # the version that answered, when the caller knows it (the gateway's deployment does; a
    # chat names only the model). Not indexed: versions are archived, hardly ever deleted.
    model_version_id: Mapped[uuid.UUID | None] = fk("model_versions.id", ondelete="SET NULL",
                                                    nullable=True, index=False)
    # calls through the OpenAI-compatible gateway: the deployment that served it, the key used
    deployment_id: Mapped[uuid.UUID | None] = fk("deployments.id", ondelete="SET NULL",
                                                 nullable=True, index=False)
    api_key_id: Mapped[uuid.UUID | None] = fk("api_keys.id", ondelete="SET NULL",
                                              nullable=True)


class PerformanceMetric(UUIDPk, CreatedAt, Base):
    """A measured value at `recorded_at`: of a model version, of a model (no version), of an
    organization's models together (no model) or of the whole platform (no organization
    either: superusers only, as scoping hides rows without an organization from members)."""

    __tablename__ = "performance_metrics"
    __table_args__ = (
        ix("performance_metrics", "model_id", "id"),
        ix("performance_metrics", "model_id", "metric_name", "recorded_at"),
        # a minute's roll-up is replaced by its time; organization and platform series
        ix("performance_metrics", "recorded_at"),
    )

    organization_id: Mapped[uuid.UUID | None] = organization_fk(nullable=True)
    model_id: Mapped[uuid.UUID | None] = fk("ai_models.id", ondelete="CASCADE", nullable=True,
                                            index=False)
    model_version_id: Mapped[uuid.UUID | None] = fk(
        "model_versions.id", ondelete="CASCADE", nullable=True
    )
    metric_name: Mapped[str] = mapped_column(String(100))
    metric_value: Mapped[float] = mapped_column(Double)
    unit: Mapped[str | None] = mapped_column(String(32))
    labels: Mapped[dict[str, Any]] = jsonb_object()
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class ModelAlertThreshold(UUIDPk, Timestamps, Base):
    """A bound on one of a model's per-minute metrics. The roll-up compares each minute's
    value with it and notifies the model's owner when the value goes past it; `breached_at`
    holds the minute it went past (NULL while within), so one crossing notifies once."""

    __tablename__ = "model_alert_thresholds"
    __table_args__ = (
        UniqueConstraint("model_id", "metric_name", "direction"),
        one_of("direction", ALERT_DIRECTIONS),
        ix("model_alert_thresholds", "model_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    model_id: Mapped[uuid.UUID] = fk("ai_models.id", ondelete="CASCADE", index=False)
    metric_name: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Double)
    breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_value: Mapped[float | None] = mapped_column(Double)
    # the last minute compared: a roll-up run again for it (or an older one) compares nothing
    evaluated_minute: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = created_by_fk()
