"""Payloads and userError codes of the knowledge mutations."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.errors import UserError
from graphql_schema.knowledge.types import KnowledgeCollection, KnowledgeDocument


class KnowledgeErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID = "INVALID"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE"
    CHAT_MODEL_REQUIRED = "CHAT_MODEL_REQUIRED"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    VECTOR_STORE_ERROR = "VECTOR_STORE_ERROR"


@strawberry.type(description="Codes: REQUIRED, TOO_LONG, OUT_OF_RANGE, NOT_SUPPORTED.")
class CreateKnowledgeCollectionPayload:
    collection: KnowledgeCollection | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: REQUIRED, TOO_LONG, INVALID (chatModelId of another "
                             "organization), MODEL_UNAVAILABLE (not an active chat model).")
class UpdateKnowledgeCollectionPayload:
    collection: KnowledgeCollection | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: REQUIRED, TOO_LONG, INVALID (text and fileId: exactly one).")
class AddKnowledgeDocumentPayload:
    document: KnowledgeDocument | None = strawberry.field(
        default=None, description="Queued (UPLOADING); watch knowledgeDocumentStatus.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: VECTOR_STORE_ERROR (the collection's Qdrant or Chroma "
                             "store failed; the document stays).")
class DeleteKnowledgeDocumentPayload:
    deleted_document_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReindexCollectionPayload:
    collection: KnowledgeCollection | None = None
    queued_documents: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A passage of a document and how close it is to the query.")
class RagHit:
    score: float = strawberry.field(description=(
        "Cosine similarity rescaled by the model's baseline, the same scale for every offline "
        "model: (cosine - baseline) / (1 - baseline); 0 is as similar as unrelated text "
        "typically is for this model, 1 the same direction (docs/knowledge.md). Models served "
        "over HTTP: the cosine similarity."))
    content: str
    position: int
    document: KnowledgeDocument | None


@strawberry.type(description="Codes: REQUIRED, TOO_LONG, OUT_OF_RANGE, NOT_SUPPORTED; with "
                             "answer: CHAT_MODEL_REQUIRED, MODEL_UNAVAILABLE, PROVIDER_ERROR "
                             "(the hits are still returned and the query recorded).")
class RagQueryPayload:
    hits: list[RagHit] = strawberry.field(default_factory=list)
    answer: str | None = strawberry.field(
        default=None, description="With answer: true, the chat model's answer grounded on the "
                                  "hits (numbered [1], [2]... in its prompt).")
    query_time_ms: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
