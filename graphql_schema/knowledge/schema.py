"""Root fields of the knowledge domain (wiring only; logic lives in resolvers/knowledge)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from db.loaders.knowledge import KNOWLEDGE_COLLECTIONS
from graphql_schema.context import Info
from graphql_schema.knowledge.inputs import (
    AddKnowledgeDocumentInput,
    CreateKnowledgeCollectionInput,
    DeleteKnowledgeDocumentInput,
    KnowledgeCollectionFilter,
    KnowledgeCollectionOrder,
    RagQueryInput,
    ReindexCollectionInput,
    UpdateKnowledgeCollectionInput,
)
from graphql_schema.knowledge.payloads import (
    AddKnowledgeDocumentPayload,
    CreateKnowledgeCollectionPayload,
    DeleteKnowledgeDocumentPayload,
    RagQueryPayload,
    ReindexCollectionPayload,
    UpdateKnowledgeCollectionPayload,
)
from graphql_schema.knowledge.types import KnowledgeCollection, KnowledgeDocument
from graphql_schema.relations import connection
from resolvers.knowledge import mutations, rag, reindex, subscriptions, update_collection


@strawberry.type
class KnowledgeQuery:
    knowledge_collections = connection(
        KNOWLEDGE_COLLECTIONS, KnowledgeCollection, KnowledgeCollectionFilter,
        KnowledgeCollectionOrder,
        description="Knowledge collections of the organizations you may see.",
    )


@strawberry.type
class KnowledgeMutation:
    @strawberry.mutation(description="Create a knowledge collection (pgvector and "
                                     "multilingual-e5-small unless chosen).")
    async def create_knowledge_collection(self, info: Info, input: CreateKnowledgeCollectionInput
                                          ) -> CreateKnowledgeCollectionPayload:
        return await mutations.create_collection(info, input)

    @strawberry.mutation(description="Rename a knowledge collection or choose its chat model.")
    async def update_knowledge_collection(self, info: Info, input: UpdateKnowledgeCollectionInput
                                          ) -> UpdateKnowledgeCollectionPayload:
        return await update_collection.update_collection(info, input)

    @strawberry.mutation(description="Add a document; it is chunked and embedded in the "
                                     "background (watch knowledgeDocumentStatus).")
    async def add_knowledge_document(self, info: Info, input: AddKnowledgeDocumentInput
                                     ) -> AddKnowledgeDocumentPayload:
        return await mutations.add_document(info, input)

    @strawberry.mutation(description="Delete a document and its chunks.")
    async def delete_knowledge_document(self, info: Info, input: DeleteKnowledgeDocumentInput
                                        ) -> DeleteKnowledgeDocumentPayload:
        return await mutations.delete_document(info, input)

    @strawberry.mutation(description="Chunk and embed every document of a collection again, "
                                     "moving it to another embedding model when one is given.")
    async def reindex_collection(self, info: Info, input: ReindexCollectionInput
                                 ) -> ReindexCollectionPayload:
        return await reindex.reindex_collection(info, input)

    @strawberry.mutation(description="Retrieve the passages closest to a question, and "
                                     "answer it from them when asked (kept in the collection's "
                                     "ragQueries).")
    async def rag_query(self, info: Info, input: RagQueryInput) -> RagQueryPayload:
        return await rag.rag_query(info, input)


@strawberry.type
class KnowledgeSubscription:
    @strawberry.subscription(description="A document as it moves through ingestion; ends once "
                                         "it is COMPLETED or FAILED.")
    async def knowledge_document_status(
        self, info: Info, document_id: strawberry.ID
    ) -> AsyncGenerator[KnowledgeDocument, None]:
        async for document in subscriptions.knowledge_document_status(info, document_id):
            yield document
