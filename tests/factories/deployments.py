"""Factories of the deployments domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Application,
    ApplicationComponent,
    Deployment,
    ModelVersion,
    Organization,
    User,
)

_seq = itertools.count(1)


async def make_deployment(
    session: AsyncSession, *, model_version: ModelVersion | None = None,
    application: Application | None = None, name: str | None = None, status: str = "pending",
    environment: str = "dev", configuration: dict | None = None, created_by: User | None = None,
    replicas: int = 1,
) -> Deployment:
    """A deployment of exactly one target, as the table's check requires."""
    target = model_version if model_version is not None else application
    if target is None:
        raise ValueError("a deployment needs a model version or an application")
    deployment = Deployment(
        organization_id=target.organization_id,
        model_version_id=model_version.id if model_version else None,
        application_id=application.id if application else None,
        name=name or f"deployment-{next(_seq)}", status=status, environment=environment,
        configuration=configuration or {}, created_by=created_by.id if created_by else None,
        replicas=replicas,
    )
    session.add(deployment)
    await session.flush()
    return deployment


async def make_application(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    status: str = "draft", configuration: dict | None = None,
) -> Application:
    app = Application(organization_id=organization.id, name=name or f"app-{next(_seq)}",
                      status=status, configuration=configuration or {})
    session.add(app)
    await session.flush()
    return app


async def make_component(
    session: AsyncSession, *, application: Application, component_type: str = "deployment",
    component_id: uuid.UUID | None = None, name: str | None = None, order_index: int = 0,
) -> ApplicationComponent:
    component = ApplicationComponent(
        organization_id=application.organization_id, application_id=application.id,
        component_type=component_type, component_id=component_id,
        name=name or f"component-{next(_seq)}", order_index=order_index,
    )
    session.add(component)
    await session.flush()
    return component
