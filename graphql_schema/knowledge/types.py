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
from graphql_schema.relay import Connection, PageArgs, TableNode, resolve_connection
from graphql_schema.scalars import BigInt

if TYPE_CHECKING:
    from graphql_schema.ai_models.types import AiModel
    from graphql_schema.datasets.types import File
    from graphql_schema.identity.types import Organization, User

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

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import Organization

        return await info.context.loaders.node(Organization).load(self.organization_id)

    @strawberry.field(description="The chat model answers come from (`config.chatModelId`).")
    async def chat_model(self, info: Info
                         ) -> Annotated[AiModel, strawberry.lazy(AI_MODELS)] | None:
        from graphql_schema.ai_models.types import AiModel

        key = self.config.get("chatModelId") if isinstance(self.config, dict) else None
        return await info.context.loaders.load(AiModel, uuid.UUID(key) if key else None)

    @strawberry.field(description="Documents of this collection.")
    async def documents(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: KnowledgeDocumentFilter | None = None,
        order_by: KnowledgeDocumentOrder | None = None,
    ) -> Connection[KnowledgeDocument]:
        return await resolve_connection(info, DOCUMENTS_BY_COLLECTION, KnowledgeDocument, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Questions asked of this collection, newest first by default.")
    async def rag_queries(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: RagQueryFilter | None = None, order_by: RagQueryOrder | None = None,
    ) -> Connection[RagQuery]:
        return await resolve_connection(info, RAG_QUERIES_BY_COLLECTION, RagQuery, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


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

    @strawberry.field
    async def collection(self, info: Info) -> KnowledgeCollection | None:
        return await info.context.loaders.node(KnowledgeCollection).load(self.collection_id)

    @strawberry.field(description="Ingestion state (uploadStatus in the table's own words).")
    def status(self) -> KnowledgeDocumentStatus:
        return KnowledgeDocumentStatus(self.upload_status)

    @strawberry.field(description="Why ingestion failed, when it did.")
    def error(self) -> str | None:
        return self.processing_error

    @strawberry.field(description="The document's title (given when it was added).")
    def title(self) -> str:
        return self.filename

    @strawberry.field(description="The uploaded file this document was read from.")
    async def file(self, info: Info) -> Annotated[File, strawberry.lazy(DATASETS)] | None:
        from graphql_schema.datasets.types import File

        return await info.context.loaders.load(File, self.file_id)


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

    @strawberry.field
    async def collection(self, info: Info) -> KnowledgeCollection | None:
        return await info.context.loaders.node(KnowledgeCollection).load(self.collection_id)

    @strawberry.field(description="Who asked; null once the account is gone.")
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import User

        return await info.context.loaders.load(User, self.user_id)
