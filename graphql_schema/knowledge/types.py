"""Knowledge collections, their documents and the RAG queries asked of them as Relay nodes;
relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.knowledge import DOCUMENTS_BY_COLLECTION, RAG_QUERIES_BY_COLLECTION
from graphql_schema.context import Info
from graphql_schema.knowledge.enums import (
    DocumentUploadStatus,
    KnowledgeDocumentStatus,
    VectorStore,
)
from graphql_schema.knowledge.inputs import (
    KnowledgeDocumentFilter,
    KnowledgeDocumentOrder,
    RagQueryFilter,
    RagQueryOrder,
)
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode
from graphql_schema.scalars import BigInt

if TYPE_CHECKING:
    from graphql_schema.ai_models.types import AiModel

IDENTITY = "graphql_schema.identity.types"
DATASETS = "graphql_schema.datasets.types"
AI_MODELS = "graphql_schema.ai_models.types"


@strawberry.type(description="Documents chunked and embedded into one vector collection.")
class KnowledgeCollection(TableNode):
    _table = "knowledge_collections"
    _live_only = True
    _redacted = ("config",)

    id: relay.NodeID[uuid.UUID]
    name: str
    description: str | None
    collection_type: str
    vector_store: VectorStore
    vector_collection_id: str | None = strawberry.field(
        description="The collection's name or id inside the vector store.")
    embedding_model: str
    embedding_dimensions: int
    chunk_size: int
    chunk_overlap: int
    document_count: int
    config: JSON = strawberry.field(description="Settings; secrets are redacted.")
    is_active: bool
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    @strawberry.field(description="The chat model answers come from (`config.chatModelId`).")
    async def chat_model(self, info: Info
                         ) -> Annotated[AiModel, strawberry.lazy(AI_MODELS)] | None:
        from graphql_schema.ai_models.types import AiModel

        key = self.config.get("chatModelId") if isinstance(self.config, dict) else None
        return await info.context.loaders.load(AiModel, uuid.UUID(key) if key else None)

    documents = connection(
        DOCUMENTS_BY_COLLECTION, lazy("KnowledgeDocument", __name__), KnowledgeDocumentFilter,
        KnowledgeDocumentOrder,
        description="Documents of this collection.",
    )

    rag_queries = connection(
        RAG_QUERIES_BY_COLLECTION, lazy("RagQuery", __name__), RagQueryFilter, RagQueryOrder,
        description="Questions asked of this collection, newest first by default.",
    )


@strawberry.type(description="A document of a collection; its chunks live in the vector store.")
class KnowledgeDocument(TableNode):
    _table = "knowledge_documents"
    _live_only = True

    id: relay.NodeID[uuid.UUID]
    filename: str
    file_path: str | None
    file_size: BigInt | None
    file_type: str | None
    content: str | None
    chunk_count: int
    metadata: JSON
    upload_status: DocumentUploadStatus
    processing_error: str | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    collection_id: strawberry.Private[uuid.UUID]
    file_id: strawberry.Private[uuid.UUID | None]

    collection = to_one(KnowledgeCollection, "collection_id")

    @strawberry.field(description="Ingestion state (uploadStatus in the table's own words).")
    def status(self) -> KnowledgeDocumentStatus:
        return KnowledgeDocumentStatus(self.upload_status)

    @strawberry.field(description="Why ingestion failed, when it did.")
    def error(self) -> str | None:
        return self.processing_error

    @strawberry.field(description="The document's title (given when it was added).")
    def title(self) -> str:
        return self.filename

    file = to_one(
        lazy("File", DATASETS), "file_id",
        description="The uploaded file this document was read from.",
    )


@strawberry.type(description="One retrieval asked of a collection (append-only history).")
class RagQuery(TableNode):
    _table = "rag_queries"

    id: relay.NodeID[uuid.UUID]
    query_text: str
    result_count: int
    response_text: str | None
    query_time_ms: int | None
    metadata: JSON
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    collection_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID | None]

    collection = to_one(KnowledgeCollection, "collection_id")

    user = to_one(
        lazy("User", IDENTITY), "user_id",
        description="Who asked; null once the account is gone.",
    )
