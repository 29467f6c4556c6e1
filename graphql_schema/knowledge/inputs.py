"""Filter and order inputs of the knowledge domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.knowledge.enums import DocumentUploadStatus, VectorStore
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Knowledge collections matching all given conditions.")
class KnowledgeCollectionFilter:
    organization_id: strawberry.ID | None = None
    collection_type: str | None = None
    vector_store: VectorStore | None = None
    is_active: bool | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class KnowledgeCollectionOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class KnowledgeCollectionOrder:
    field: KnowledgeCollectionOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Knowledge documents matching all given conditions.")
class KnowledgeDocumentFilter:
    upload_status: DocumentUploadStatus | None = None
    upload_status_in: list[DocumentUploadStatus] | None = None
    file_type: str | None = None
    filename_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class KnowledgeDocumentOrderField(Enum):
    ID = ("id",)
    FILENAME = ("filename", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class KnowledgeDocumentOrder:
    field: KnowledgeDocumentOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="RAG queries matching all given conditions.")
class RagQueryFilter:
    user_id: strawberry.ID | None = None
    query_text_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class RagQueryOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class RagQueryOrder:
    field: RagQueryOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="A new knowledge collection; chunking defaults to 1000/200.")
class CreateKnowledgeCollectionInput:
    organization_id: strawberry.ID
    name: str
    description: str | None = None
    embedding_model: str | None = strawberry.field(
        default=None, description="multilingual-e5-small (the offline default: Chinese, "
                                  "English and cross-lingual), all-MiniLM-L6-v2 (offline, "
                                  "English, needs its package), or the name of an embedding "
                                  "model of the organization whose provider is "
                                  "openai_compatible (its config.base_url serves /embeddings).")
    vector_store: VectorStore | None = strawberry.field(
        default=None, description="Only PGVECTOR for now.")
    chunk_size: int | None = strawberry.field(default=None, description="Characters, 100-8000.")
    chunk_overlap: int | None = strawberry.field(
        default=None, description="Characters, 0 to half the chunk size.")
    chat_model_id: strawberry.ID | None = strawberry.field(
        default=None, description="A chat model of the same organization: ragQuery(answer: "
                                  "true) answers with it.")


@strawberry.input(description="Only the fields you pass change; null clears the description "
                              "or the chat model.")
class UpdateKnowledgeCollectionInput:
    id: strawberry.ID
    name: Maybe[str]
    description: Maybe[str | None]
    chat_model_id: Maybe[strawberry.ID | None] = strawberry.field(
        description="A chat model of the same organization, for answers (null: none).")


@strawberry.input(description="A document from text, or from an uploaded file (`fileId`).")
class AddKnowledgeDocumentInput:
    collection_id: strawberry.ID
    title: str
    text: str | None = None
    file_id: strawberry.ID | None = None
    metadata: JSON | None = strawberry.field(
        default=None, description="source, type, category, author, version, language "
                                  "(strings), tags (list of strings), and any other keys "
                                  "(string, number, boolean or list of strings); language is "
                                  "detected at ingestion (zh or en) when not given.")


@strawberry.input
class DeleteKnowledgeDocumentInput:
    id: strawberry.ID


@strawberry.input(description="Chunk and embed every document again, with another embedding "
                              "model when one is given.")
class ReindexCollectionInput:
    id: strawberry.ID
    embedding_model: str | None = strawberry.field(
        default=None, description="Move the collection to this model (as in "
                                  "createKnowledgeCollection): its chunks are removed at once "
                                  "and queries find each document again once it is re-embedded.")


@strawberry.input(description="Only chunks of documents whose metadata matches all given "
                              "conditions; applied inside the vector store while it searches.")
class RagFilter:
    category: str | None = None
    tags: list[str] | None = strawberry.field(
        default=None, description="Documents that have every one of these tags.")
    language: str | None = strawberry.field(default=None, description="zh or en, as detected "
                                                                    "or given at ingestion.")
    metadata: JSON | None = strawberry.field(
        default=None, description="Other keys: each value must equal the document's (a list: "
                                  "contained in the document's list).")


@strawberry.input(description="Retrieve the passages of a collection closest to a question.")
class RagQueryInput:
    collection_id: strawberry.ID
    query: str
    top_k: int = strawberry.field(default=5, description="1 to 50.")
    min_score: float | None = strawberry.field(
        default=None, description="Drop hits with a lower score (-1 to 1), on the scale every "
                                  "offline model shares: 0 is as similar as unrelated text "
                                  "typically is, 1 the same direction (see hits' score).")
    filter: RagFilter | None = None
    answer: bool = strawberry.field(
        default=False, description="Also generate an answer grounded on the hits, with the "
                                   "collection's chat model (chatModelId).")
