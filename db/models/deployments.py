"""Deployments: serving a model version, and applications built from components.

A deployment targets exactly one thing, a model version or an application (seed 001 has
both model endpoints and application deployments); one table keeps status, scaling and
traffic handling in one place.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Double, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamps, UUIDPk
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

DEPLOYMENT_STATUSES = ("pending", "deploying", "running", "stopped", "failed")
APPLICATION_STATUSES = ("draft", "published", "archived")


class Deployment(UUIDPk, Timestamps, Base):
    __tablename__ = "deployments"
    __table_args__ = (
        one_of("status", DEPLOYMENT_STATUSES),
        CheckConstraint("num_nonnulls(model_version_id, application_id) = 1", name="target"),
        CheckConstraint(
            "traffic_percentage >= 0 AND traffic_percentage <= 100", name="traffic_percentage"
        ),
        CheckConstraint("replicas >= 0", name="replicas"),
        org_listing("deployments"),
        ix("deployments", "model_version_id", "id"),
        ix("deployments", "application_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    # NO ACTION: a version or application cannot be deleted while a deployment uses it
    model_version_id: Mapped[uuid.UUID | None] = fk("model_versions.id", nullable=True, index=False)
    application_id: Mapped[uuid.UUID | None] = fk("applications.id", nullable=True, index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    service_type: Mapped[str] = mapped_column(String(50), server_default="builtin")
    environment: Mapped[str] = mapped_column(String(50), index=True, server_default="dev")
    version: Mapped[str | None] = mapped_column(String(50))
    endpoint_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="pending")
    replicas: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    resource_allocation: Mapped[dict[str, Any]] = jsonb_object()
    autoscaling_config: Mapped[dict[str, Any]] = jsonb_object()
    traffic_percentage: Mapped[float] = mapped_column(Double, server_default=text("100"))
    configuration: Mapped[dict[str, Any]] = jsonb_object()
    metrics: Mapped[dict[str, Any]] = jsonb_object()
    deployed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class Application(UUIDPk, Timestamps, Base):
    __tablename__ = "applications"
    __table_args__ = (one_of("status", APPLICATION_STATUSES), org_listing("applications"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    application_type: Mapped[str] = mapped_column(String(50), server_default="api")
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="draft")
    configuration: Mapped[dict[str, Any]] = jsonb_object()
    version: Mapped[str] = mapped_column(String(50), server_default="1.0")
    tags: Mapped[list[str]] = tags_column()
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class ApplicationComponent(UUIDPk, Timestamps, Base):
    """A building block of an application; `component_id` names a row of the table that
    `component_type` implies (a deployment, a dataset, a knowledge collection...)."""

    __tablename__ = "application_components"
    __table_args__ = (ix("application_components", "application_id", "id"),)

    organization_id: Mapped[uuid.UUID] = organization_fk()
    application_id: Mapped[uuid.UUID] = fk("applications.id", ondelete="CASCADE", index=False)
    component_type: Mapped[str] = mapped_column(String(50))
    component_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    name: Mapped[str | None] = mapped_column(String(200))
    configuration: Mapped[dict[str, Any]] = jsonb_object()
    order_index: Mapped[int] = mapped_column(Integer, server_default=text("0"))
