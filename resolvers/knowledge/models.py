"""The AI models a knowledge collection uses, checked when a collection is created or changed.

- Embedding model: an offline model (multilingual-e5-small, the default, or
  all-MiniLM-L6-v2; services/embeddings/local.py), or the name of an embedding model
  of the collection's organization served over HTTP (services/embeddings/collections.py); its id
  goes into the collection's `config.embeddingModelId`, and its size into
  `embedding_dimensions`: the model's `config.dimensions`, else the length of a vector it
  answers for a probe text now (so an endpoint that cannot answer is refused at once).
  pgvector's column holds 384 dimensions, so other sizes need another vector store.
- Chat model (`config.chatModelId`): a live, active chat model of the same organization;
  `ragQuery(answer: true)` and chats with the collection attached answer with it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from db.models import AIModel
from graphql_schema.ai_models.types import AiModel as AiModelNode
from graphql_schema.context import Info
from graphql_schema.knowledge.payloads import KnowledgeErrorCode as Code
from graphql_schema.relay import decode_global_id_of
from resolvers.chat.common import model_unavailable
from resolvers.input_checks import Checks
from services.embeddings import DEFAULT_MODEL, DIMENSIONS, EMBEDDING_MODEL_ID, EmbeddingError
from services.embeddings.collections import HTTP_PROVIDERS, is_embedding_model
from services.embeddings.openai_compatible import OpenAICompatibleEmbeddings

CHAT_MODEL_ID = "chatModelId"  # key of knowledge_collections.config
MAX_DIMENSIONS = 16_000  # a sanity bound (pgvector's own limit for a vector column)
PROBE = "dimension probe"
PGVECTOR_DIMENSIONS = 384


async def embedding_model_choice(info: Info, checks: Checks, organization_id: uuid.UUID,
                                 name: str | None) -> tuple[str, int, dict[str, Any]]:
    """(embedding_model, embedding_dimensions, config entries) for a new collection."""
    name = (name or DEFAULT_MODEL).strip()
    if name in DIMENSIONS:
        return name, DIMENSIONS[name], {}
    async with info.context.db.sessionmaker() as session:
        model = await session.scalar(select(AIModel).where(
            AIModel.organization_id == organization_id, AIModel.name == name,
            AIModel.deleted_at.is_(None)))
    if model is None or model.provider not in HTTP_PROVIDERS or not is_embedding_model(model):
        checks.add("embeddingModel", f"embeddingModel: {' or '.join(DIMENSIONS)} (offline), "
                   "or the name of an embedding model of this organization whose provider is "
                   "openai_compatible", Code.NOT_SUPPORTED)
        return name, PGVECTOR_DIMENSIONS, {}
    config = dict(model.config or {})
    dimensions = config.get("dimensions")
    if not (isinstance(dimensions, int) and not isinstance(dimensions, bool)
            and 1 <= dimensions <= MAX_DIMENSIONS):
        try:
            [probe] = await OpenAICompatibleEmbeddings(model.name, config).embed([PROBE])
        except EmbeddingError as error:
            checks.add("embeddingModel", f"embeddingModel: {error}", Code.PROVIDER_ERROR)
            return name, PGVECTOR_DIMENSIONS, {}
        dimensions = len(probe)
        if dimensions > MAX_DIMENSIONS:
            checks.add("embeddingModel", f"embeddingModel: {name} makes {dimensions}-dimensional "
                       f"vectors; at most {MAX_DIMENSIONS} are supported", Code.OUT_OF_RANGE)
    return model.name, dimensions, {EMBEDDING_MODEL_ID: str(model.id)}


def store_fits(checks: Checks, store: str, model: str, dimensions: int) -> None:
    """pgvector's column has a fixed size; the other stores size a collection when made."""
    if store == "pgvector" and dimensions != PGVECTOR_DIMENSIONS:
        checks.add("embeddingModel", f"embeddingModel: pgvector collections hold "
                   f"{PGVECTOR_DIMENSIONS}-dimensional vectors and {model} makes {dimensions}; "
                   "choose another vectorStore", Code.OUT_OF_RANGE)


async def chat_model_choice(info: Info, checks: Checks, organization_id: uuid.UUID,
                            chat_model_id: str | None) -> uuid.UUID | None:
    """The chat model's id, when it is one the collection may answer with."""
    if chat_model_id is None:
        return None
    model_id = decode_global_id_of(chat_model_id, AiModelNode, field="chatModelId")
    async with info.context.db.sessionmaker() as session:
        model = await session.get(AIModel, model_id)
    if model is None or model.deleted_at is not None or model.organization_id != organization_id:
        checks.add("chatModelId", "chatModelId: no such model in the collection's organization",
                   Code.INVALID)
        return None
    reason = model_unavailable(model)
    if reason is not None:
        checks.add("chatModelId", f"chatModelId: {reason}", Code.MODEL_UNAVAILABLE)
    return model_id
