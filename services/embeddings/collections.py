"""Which embedder a knowledge collection uses, and embedding texts for it.

A collection's `embedding_model` names an offline model (services/embeddings/local.py,
multilingual-e5-small by default). It may instead name an AI
model of its organization served over HTTP (provider `openai_compatible` or `openai`, model
type `embedding`): the model's id is then kept in the collection's `config.embeddingModelId`
(so renaming the model breaks nothing), and its `config` (`base_url`, `api_key`, `model`,
`dimensions`, `batch_size`) is read at each use, like chat reads a chat model's.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel
from services.embeddings.base import Embedder, EmbeddingError, check_dimensions
from services.embeddings.local import LocalEmbedder
from services.embeddings.openai_compatible import OpenAICompatibleEmbeddings

EMBEDDING_MODEL_ID = "embeddingModelId"  # key of knowledge_collections.config
HTTP_PROVIDERS = ("openai_compatible", "openai")


def is_embedding_model(model: AIModel) -> bool:
    return model.model_type == "embedding" or "embedding" in (model.capabilities or [])


async def embedder_for(session: AsyncSession, *, organization_id: uuid.UUID,
                       embedding_model: str, config: dict[str, Any]) -> Embedder:
    model_id = config.get(EMBEDDING_MODEL_ID)
    if model_id is None:
        return LocalEmbedder(embedding_model)
    row = (await session.execute(
        select(AIModel.name, AIModel.provider, AIModel.config, AIModel.status)
        .where(AIModel.id == uuid.UUID(str(model_id)),
               AIModel.organization_id == organization_id, AIModel.deleted_at.is_(None))
    )).one_or_none()
    if row is None:
        raise EmbeddingError(f"The embedding model {embedding_model!r} was deleted")
    if row.status != "active":
        raise EmbeddingError(f"The embedding model {row.name!r} is {row.status}, not active")
    return OpenAICompatibleEmbeddings(row.name, dict(row.config or {}))


async def embed_for_collection(session: AsyncSession, *, organization_id: uuid.UUID,
                               embedding_model: str, dimensions: int, config: dict[str, Any],
                               texts: list[str], query: bool = False) -> list[list[float]]:
    """The texts' vectors with the collection's embedder, checked against its dimensions:
    passages (chunks) by default, a question with `query`."""
    model = await embedder_for(session, organization_id=organization_id,
                               embedding_model=embedding_model, config=config or {})
    vectors = await model.embed(texts, query=query)
    check_dimensions(vectors, dimensions, model.name)
    return vectors
