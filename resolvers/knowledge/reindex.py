"""reindexCollection: every live document of a collection is chunked and embedded again, with
another embedding model when one is given.

Same model: the documents are queued and their old chunks serve queries until replaced. Another
model: its vectors live in another space (perhaps of another size), so the collection's chunks
are removed from its store in the same step, the collection records the new model and its
dimensions, and each document answers queries again once it is re-embedded.
"""

from __future__ import annotations

from sqlalchemy import update

from db.models import KnowledgeCollection, KnowledgeDocument
from graphql_schema.context import Info
from graphql_schema.knowledge import types
from graphql_schema.knowledge.inputs import ReindexCollectionInput
from graphql_schema.knowledge.payloads import KnowledgeErrorCode, ReindexCollectionPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.input_checks import Checks
from resolvers.knowledge.models import embedding_model_choice, store_fits
from resolvers.knowledge.mutations import PENDING, readable_collection
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require_authenticated,
    write,
)
from services.embeddings import EMBEDDING_MODEL_ID
from services.jobs.enqueue import enqueue_many
from services.jobs.tasks import INGEST_DOCUMENT
from services.vectorstores import VectorStoreError, store_for


async def reindex_collection(info: Info, input: ReindexCollectionInput
                             ) -> ReindexCollectionPayload:
    require_authenticated(info)
    collection_id = decode_global_id_of(input.id, types.KnowledgeCollection, field="id")
    collection = await readable_collection(info, collection_id)
    store = str(getattr(collection.vector_store, "value", collection.vector_store))

    async def body() -> ReindexCollectionPayload:
        moving = None
        if input.embedding_model is not None:
            checks = Checks()
            model, dimensions, entries = await embedding_model_choice(
                info, checks, collection.organization_id, input.embedding_model)
            store_fits(checks, store, model, dimensions)
            checks.raise_if_any()
            config = {k: v for k, v in (collection.config or {}).items()
                      if k != EMBEDDING_MODEL_ID}
            if model != collection.embedding_model or config | entries != collection.config:
                moving = model, dimensions, config | entries
        async with write(info) as tx:
            if moving is not None:
                model, dimensions, config = moving
                try:  # before the commit: a store that fails leaves the collection as it was
                    await store_for(store).delete_collection(
                        tx.session, organization_id=collection.organization_id,
                        collection_id=collection_id)
                except VectorStoreError as error:
                    raise InvalidInput(Problem(None, str(error),
                                               KnowledgeErrorCode.VECTOR_STORE_ERROR)) from error
                await tx.session.execute(
                    update(KnowledgeCollection).where(KnowledgeCollection.id == collection_id)
                    .values(embedding_model=model, embedding_dimensions=dimensions,
                            config=config))
                await tx.session.execute(
                    update(KnowledgeDocument)
                    .where(KnowledgeDocument.collection_id == collection_id,
                           KnowledgeDocument.deleted_at.is_(None))
                    .values(chunk_count=0))
            queued = (await tx.session.execute(
                update(KnowledgeDocument)
                .where(KnowledgeDocument.collection_id == collection_id,
                       KnowledgeDocument.deleted_at.is_(None))
                .values(upload_status=PENDING, processing_error=None)
                .returning(KnowledgeDocument.id))).all()
            await enqueue_many(tx.session, INGEST_DOCUMENT,
                               [{"document_id": str(document_id)} for (document_id,) in queued])
            change = {"embedding_model": moving[0]} if moving is not None else {}
            await tx.audit("knowledge_collection.reindex", resource_type="KnowledgeCollection",
                           resource_id=collection_id, organization_id=collection.organization_id,
                           old={"embedding_model": collection.embedding_model} if change else None,
                           new={"documents": len(queued), **change})
        loader = info.context.loaders.node(types.KnowledgeCollection)
        loader.clear(collection_id)
        return ReindexCollectionPayload(collection=await loader.load(collection_id),
                                        queued_documents=len(queued))

    return await mutation_payload(body, lambda e: ReindexCollectionPayload(user_errors=e))

