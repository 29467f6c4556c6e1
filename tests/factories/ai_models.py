"""Factories of the AI-models domain."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel, ModelVersion, Organization

_seq = itertools.count(1)


async def make_model(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    provider: str = "local", model_type: str = "chat", config: dict | None = None,
) -> AIModel:
    model = AIModel(organization_id=organization.id, name=name or f"model-{next(_seq)}",
                    provider=provider, model_type=model_type, config=config or {})
    session.add(model)
    await session.flush()
    return model


async def make_model_version(
    session: AsyncSession, *, model: AIModel, version: str | None = None, status: str = "draft",
) -> ModelVersion:
    mv = ModelVersion(organization_id=model.organization_id, model_id=model.id,
                      version=version or f"v{next(_seq)}", status=status)
    session.add(mv)
    await session.flush()
    return mv
