"""Factories of the AI-models domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel, ModelVersion, Organization

_seq = itertools.count(1)


async def make_model(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    provider: str = "local", model_type: str = "chat", config: dict | None = None,
    pricing: dict | None = None, description: str | None = None, framework: str | None = None,
    deleted_at: datetime | None = None,
) -> AIModel:
    model = AIModel(organization_id=organization.id, name=name or f"model-{next(_seq)}",
                    provider=provider, model_type=model_type, config=config or {},
                    pricing=pricing or {}, description=description, framework=framework,
                    deleted_at=deleted_at)
    session.add(model)
    await session.flush()
    return model


async def make_model_version(
    session: AsyncSession, *, model: AIModel, version: str | None = None, status: str = "draft",
    is_default: bool | None = None, storage_location: str | None = None,
) -> ModelVersion:
    """`is_default` follows a production status unless told."""
    mv = ModelVersion(organization_id=model.organization_id, model_id=model.id,
                      version=version or f"v{next(_seq)}", status=status,
                      is_default=status == "production" if is_default is None else is_default,
                      storage_location=storage_location)
    session.add(mv)
    await session.flush()
    return mv
