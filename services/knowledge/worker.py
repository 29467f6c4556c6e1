"""Ingestion: a document moves uploading (pending) → processing → completed (ready) or
failed, its state kept in its knowledge_documents row so a restart loses nothing.

Adding a document enqueues a `document_processing` job in the same transaction
(services/jobs/tasks.py); the job's worker calls `process`:
1. a short transaction claims the row (`FOR UPDATE SKIP LOCKED`: pending, or left
   `processing` by a worker that died), marks it processing and commits (subscribers see
   PROCESSING);
2. a second transaction locks the row again and holds the lock while the text is extracted,
   chunked and embedded, then replaces the chunks and marks it completed in one commit.
A killed worker's lock dies with its connection and its job goes back to the queue
(services/jobs/recovery.py): the next worker resumes the row. The row locks, not the jobs,
make a document ingested once however many jobs name it; `drain` ingests every claimable row
in-process (tests).

Qdrant and Chroma are written before that commit (pgvector inside it): the document is
completed only once its chunks are stored; a store failure fails the document with the store's
reason, and a commit lost after the store write is retried, overwriting the same points.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.search_text import store_chunk_words
from db.session import Database
from services.embeddings import EmbeddingError, embed_for_collection
from services.knowledge.metadata import with_language
from services.knowledge.text import ExtractionError, chunk_text, extract_text
from services.pubsub import PubSub, knowledge_document_channel
from services.storage.base import Storage
from services.vectorstores import Chunk, VectorStoreError, store_for

log = logging.getLogger("aiplatform.knowledge")
MAX_ERROR = 2000

FileReader = Callable[[Any], Awaitable[bytes]]

CLAIM = text("""
UPDATE knowledge_documents SET upload_status = 'processing', processing_error = NULL,
       updated_at = now()
WHERE id = (SELECT d.id FROM knowledge_documents d
            JOIN knowledge_collections c ON c.id = d.collection_id AND c.deleted_at IS NULL
            WHERE d.upload_status IN ('uploading', 'processing') AND d.deleted_at IS NULL
              AND (CAST(:id AS uuid) IS NULL OR d.id = :id)
            ORDER BY d.created_at, d.id FOR UPDATE OF d SKIP LOCKED LIMIT 1)
RETURNING id""")
LOCK = text("""
SELECT d.id, d.organization_id, d.collection_id, d.content, d.filename, d.file_id, d.metadata,
       c.vector_store, c.chunk_size, c.chunk_overlap, c.embedding_model,
       c.embedding_dimensions, c.config, f.mime_type, f.storage_path,
       f.storage_provider, f.filename AS file_name
FROM knowledge_documents d JOIN knowledge_collections c ON c.id = d.collection_id
LEFT JOIN files f ON f.id = d.file_id
WHERE d.id = :id AND d.upload_status = 'processing' AND d.deleted_at IS NULL
FOR UPDATE OF d SKIP LOCKED""")


async def no_file_storage(row: Any) -> bytes:
    raise ExtractionError("file storage unavailable: this worker was started without a file "
                          "reader; add the document as text")


def storage_reader(storage: Storage, limit: int) -> FileReader:
    """Reads a document's uploaded file from the configured storage (local folder or S3)."""

    async def read(row: Any) -> bytes:
        if not row.storage_path:
            raise ExtractionError("the file has no stored content")
        try:
            return await storage.read(row.storage_path, limit)
        except FileNotFoundError:
            raise ExtractionError("the uploaded file is missing from storage") from None
        except ValueError as error:
            raise ExtractionError(str(error)) from None

    return read


class IngestionWorker:
    """Ingests documents for a document_processing job (`process`) or, in-process, every
    claimable one (`drain`)."""

    def __init__(self, db: Database, pubsub: PubSub | None,
                 read_file: FileReader = no_file_storage) -> None:
        self.db, self.pubsub, self.read_file = db, pubsub, read_file

    async def process(self, document_id: uuid.UUID) -> str | None:
        """completed or failed; None when the document is gone, done, or held by another
        worker."""
        if await self._claim(document_id) is None:
            return None
        return await self._ingest_claimed(document_id)

    async def drain(self) -> int:
        """Ingest claimable documents here until none is left (tests, `demo-data
        --knowledge`, which must end with its collections ready); the number handled."""
        handled = 0
        while (document_id := await self._claim()) is not None:
            handled += await self._ingest_claimed(document_id) is not None
        return handled

    async def _ingest_claimed(self, document_id: uuid.UUID) -> str | None:
        await self._publish(document_id, "processing")
        status = await self.ingest(document_id)
        if status is not None:
            await self._publish(document_id, status)
        return status

    async def _claim(self, document_id: uuid.UUID | None = None) -> uuid.UUID | None:
        async with self.db.sessionmaker() as session, session.begin():
            return (await session.execute(CLAIM, {"id": document_id})).scalar_one_or_none()

    async def ingest(self, document_id: uuid.UUID) -> str | None:
        """completed or failed; None when another worker holds it or it is gone."""
        try:
            async with self.db.sessionmaker() as session, session.begin():
                row = (await session.execute(LOCK, {"id": document_id})).one_or_none()
                if row is None:
                    return None
                chunks = await self._chunks(session, row)
                await store_for(row.vector_store).replace_document(
                    session, organization_id=row.organization_id,
                    collection_id=row.collection_id, document_id=row.id, chunks=chunks)
                await store_chunk_words(session, row.id, [(c.position, c.content) for c in chunks])
                await session.execute(text(
                    "UPDATE knowledge_documents SET upload_status = 'completed', "
                    "chunk_count = :n, processing_error = NULL, updated_at = now(), "
                    "metadata = CAST(:metadata AS jsonb) WHERE id = :id"),
                    {"n": len(chunks), "id": row.id,
                     "metadata": orjson.dumps(chunks[0].metadata).decode()})
            return "completed"
        except asyncio.CancelledError:
            raise
        except (ExtractionError, EmbeddingError, LookupError) as error:
            message = str(error)
        except Exception as error:  # a bug must not wedge the queue on one document
            log.exception("ingestion of knowledge document %s failed", document_id)
            message = f"Ingestion failed: {type(error).__name__}"
        async with self.db.sessionmaker() as session, session.begin():
            await _fail(session, document_id, message)
        return "failed"

    async def _chunks(self, session: AsyncSession, row: Any) -> list[Chunk]:
        if row.content is not None:
            body = row.content
        elif row.file_id is None:
            raise ExtractionError("The document has neither text nor a file")
        else:
            data = await self.read_file(row)
            body = extract_text(data, filename=row.file_name or row.filename,
                                mime_type=row.mime_type)
        pieces = chunk_text(body, row.chunk_size, row.chunk_overlap)
        if not pieces:
            raise ExtractionError("The document contains no text")
        metadata = with_language(row.metadata, body)  # the language detected unless given
        vectors = await embed_for_collection(
            session, organization_id=row.organization_id, embedding_model=row.embedding_model,
            dimensions=row.embedding_dimensions, config=row.config, texts=pieces)
        return [Chunk(i, p, v, metadata)
                for i, (p, v) in enumerate(zip(pieces, vectors, strict=True))]

    async def _publish(self, document_id: uuid.UUID, status: str) -> None:
        if self.pubsub is None:
            return
        try:
            await self.pubsub.publish(knowledge_document_channel(document_id),
                                      {"id": str(document_id), "status": status})
        except Exception:  # the row holds the truth; events may be lost (DESIGN.md §3)
            log.exception("could not publish knowledge document %s", document_id)


async def _fail(session: AsyncSession, document_id: uuid.UUID, message: str) -> None:
    """The document becomes failed, without chunks: none of a half-written attempt, nor of an
    earlier version, may answer queries."""
    row = (await session.execute(text(
        "UPDATE knowledge_documents d SET upload_status = 'failed', processing_error = :e, "
        "chunk_count = 0, updated_at = now() FROM knowledge_collections c "
        "WHERE d.id = :id AND d.upload_status = 'processing' AND c.id = d.collection_id "
        "RETURNING d.organization_id, d.collection_id, c.vector_store"),
        {"e": message[:MAX_ERROR], "id": document_id})).one_or_none()
    if row is None:
        return
    try:
        await store_for(row.vector_store).delete_document(
            session, organization_id=row.organization_id, collection_id=row.collection_id,
            document_id=document_id)
    except VectorStoreError:  # the store is down: its points of a failed document stay
        log.warning("could not remove the chunks of failed knowledge document %s", document_id,
                    exc_info=True)
