"""createKnowledgeCollection, addKnowledgeDocument, deleteKnowledgeDocument (reindexCollection:
resolvers/knowledge/reindex.py).

Each needs knowledge:write in the collection's organization: NOT_FOUND when the caller cannot
see it, FORBIDDEN when it may only read. A document to ingest gets a document_processing job
in the same transaction (services/jobs/): committed together, or neither.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, update

from db.models import KnowledgeCollection, KnowledgeDocument
from graphql_schema.context import Info
from graphql_schema.datasets.types import File
from graphql_schema.identity.types import Organization
from graphql_schema.knowledge import types
from graphql_schema.knowledge.inputs import (
    AddKnowledgeDocumentInput,
    CreateKnowledgeCollectionInput,
    DeleteKnowledgeDocumentInput,
)
from graphql_schema.knowledge.payloads import (
    AddKnowledgeDocumentPayload,
    CreateKnowledgeCollectionPayload,
    DeleteKnowledgeDocumentPayload,
    KnowledgeErrorCode,
)
from graphql_schema.relay import decode_global_id_of
from resolvers.input_checks import Checks
from resolvers.knowledge.models import (
    CHAT_MODEL_ID,
    chat_model_choice,
    embedding_model_choice,
    store_fits,
)
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require,
    require_authenticated,
    write,
)
from services.jobs.enqueue import enqueue
from services.jobs.tasks import INGEST_DOCUMENT
from services.knowledge.metadata import metadata_problem
from services.vectorstores import (
    EXTERNAL,
    VectorStoreError,
    collection_name,
    missing_package,
    store_for,
)

WRITE = "knowledge:write"
MAX_DOCUMENT_TEXT = 2_000_000
PENDING = "uploading"


async def readable_collection(info: Info, collection_id: uuid.UUID) -> types.KnowledgeCollection:
    collection = await info.context.loaders.node(types.KnowledgeCollection).load(collection_id)
    require(info, WRITE, collection.organization_id if collection is not None else None)
    assert collection is not None  # require() refuses a missing one as NOT_FOUND
    return collection


# ------------------------------------------------------------------ createKnowledgeCollection


async def create_collection(info: Info, input: CreateKnowledgeCollectionInput
                            ) -> CreateKnowledgeCollectionPayload:
    require_authenticated(info)
    organization_id = decode_global_id_of(input.organization_id, Organization,
                                          field="organizationId")
    require(info, WRITE, organization_id)

    async def body() -> CreateKnowledgeCollectionPayload:
        checks = Checks()
        name = checks.name("name", input.name, 200)
        description = checks.text("description", input.description)
        model, dimensions, config = await embedding_model_choice(
            info, checks, organization_id, input.embedding_model)
        store = input.vector_store.value if input.vector_store is not None else "pgvector"
        if (package := missing_package(store)) is not None:
            checks.add("vectorStore", f"vectorStore: {store} needs the {package} package, "
                       "which this server lacks", KnowledgeErrorCode.NOT_SUPPORTED)
        store_fits(checks, store, model, dimensions)
        chat_model = await chat_model_choice(info, checks, organization_id, input.chat_model_id)
        if chat_model is not None:
            config[CHAT_MODEL_ID] = str(chat_model)
        size = input.chunk_size if input.chunk_size is not None else 1000
        overlap = input.chunk_overlap if input.chunk_overlap is not None else 200
        checks.int_range("chunkSize", size, 100, 8000)
        checks.int_range("chunkOverlap", overlap, 0, max(size // 2, 0))
        checks.raise_if_any()
        async with write(info) as tx:
            row = KnowledgeCollection(
                organization_id=organization_id, name=name, description=description,
                embedding_model=model, embedding_dimensions=dimensions, config=config,
                vector_store=store, chunk_size=size, chunk_overlap=overlap,
                created_by=info.context.principal.user_id)
            tx.session.add(row)
            await tx.session.flush()
            if store in EXTERNAL:  # its Qdrant/Chroma collection, made by the first document
                row.vector_collection_id = collection_name(row.id)
            await tx.audit("knowledge_collection.create", resource_type="KnowledgeCollection",
                           resource_id=row.id, organization_id=organization_id,
                           new={"name": name, "vector_store": store, "chunk_size": size,
                                "chunk_overlap": overlap, "embedding_model": model, **config})
        collection = await info.context.loaders.node(types.KnowledgeCollection).load(row.id)
        return CreateKnowledgeCollectionPayload(collection=collection)

    return await mutation_payload(body, lambda e: CreateKnowledgeCollectionPayload(user_errors=e))


# ------------------------------------------------------------------ addKnowledgeDocument


async def add_document(info: Info, input: AddKnowledgeDocumentInput
                       ) -> AddKnowledgeDocumentPayload:
    require_authenticated(info)
    collection_id = decode_global_id_of(input.collection_id, types.KnowledgeCollection,
                                        field="collectionId")
    collection = await readable_collection(info, collection_id)
    file = None
    if input.file_id is not None:
        file_id = decode_global_id_of(input.file_id, File, field="fileId")
        file = await info.context.loaders.node(File).load(file_id)
        if file is None or file.organization_id != collection.organization_id:
            require(info, WRITE, None)  # NOT_FOUND: no such file in this organization

    async def body() -> AddKnowledgeDocumentPayload:
        checks = Checks()
        title = checks.name("title", input.title, 255)
        content = input.text
        if (content is None) == (file is None):
            checks.add("text", "Give exactly one of text and fileId")
        elif content is not None:
            if not content.strip():
                checks.add("text", "text must not be empty", KnowledgeErrorCode.REQUIRED)
            elif len(content) > MAX_DOCUMENT_TEXT:
                checks.add("text", f"text: at most {MAX_DOCUMENT_TEXT} characters",
                           KnowledgeErrorCode.TOO_LONG)
        metadata = input.metadata if input.metadata is not None else {}
        if (problem := metadata_problem(metadata)) is not None:
            checks.add("metadata", problem, KnowledgeErrorCode.INVALID)
        checks.raise_if_any()
        async with write(info) as tx:
            row = KnowledgeDocument(
                organization_id=collection.organization_id, collection_id=collection_id,
                file_id=file.id if file else None, filename=title, content=content,
                file_size=len(content.encode()) if content is not None else file.size_bytes,
                file_type="text" if content is not None else file.mime_type,
                metadata_=metadata, upload_status=PENDING,
                uploaded_by=info.context.principal.user_id)
            tx.session.add(row)
            await tx.session.execute(
                update(KnowledgeCollection).where(KnowledgeCollection.id == collection_id)
                .values(document_count=KnowledgeCollection.document_count + 1))
            await tx.session.flush()
            await enqueue(tx.session, INGEST_DOCUMENT, document_id=str(row.id))
            await tx.audit("knowledge_document.create", resource_type="KnowledgeDocument",
                           resource_id=row.id, organization_id=collection.organization_id,
                           new={"title": title, "collection_id": collection_id,
                                "file_id": file.id if file else None})
        document = await info.context.loaders.node(types.KnowledgeDocument).load(row.id)
        return AddKnowledgeDocumentPayload(document=document)

    return await mutation_payload(body, lambda e: AddKnowledgeDocumentPayload(user_errors=e))


# ------------------------------------------------------------------ deleteKnowledgeDocument


async def delete_document(info: Info, input: DeleteKnowledgeDocumentInput
                          ) -> DeleteKnowledgeDocumentPayload:
    require_authenticated(info)
    document_id = decode_global_id_of(input.id, types.KnowledgeDocument, field="id")

    async def body() -> DeleteKnowledgeDocumentPayload:
        async with write(info) as tx:
            # waits for an ingestion in progress, which holds the row's lock
            row = await tx.session.get(KnowledgeDocument, document_id, with_for_update=True)
            live = row is not None and row.deleted_at is None
            require(info, WRITE, row.organization_id if live and row else None)
            assert row is not None
            collection = await tx.session.get(KnowledgeCollection, row.collection_id)
            assert collection is not None
            try:  # before the commit: a store that fails leaves the document as it was
                await store_for(collection.vector_store).delete_document(
                    tx.session, organization_id=row.organization_id,
                    collection_id=row.collection_id, document_id=row.id)
            except VectorStoreError as error:
                raise InvalidInput(Problem(None, str(error),
                                           KnowledgeErrorCode.VECTOR_STORE_ERROR)) from error
            row.deleted_at, row.chunk_count = func.now(), 0
            await tx.session.execute(
                update(KnowledgeCollection).where(KnowledgeCollection.id == row.collection_id)
                .values(document_count=func.greatest(KnowledgeCollection.document_count - 1, 0)))
            await tx.audit("knowledge_document.delete", resource_type="KnowledgeDocument",
                           resource_id=row.id, organization_id=row.organization_id,
                           old={"title": row.filename})
        return DeleteKnowledgeDocumentPayload(deleted_document_id=input.id)

    return await mutation_payload(body, lambda e: DeleteKnowledgeDocumentPayload(user_errors=e))
