"""Knowledge (RAG): collections of documents and the queries asked of them.

Chunks and their vectors live in the vector store named by the collection (pgvector,
Qdrant or Chroma, DESIGN.md §1); these tables hold what is needed to rebuild them: the
document text, the embedding model and the chunking parameters.
"""

from __future__ import annotations

import uuid
from typing import Any

from pgvector.sqlalchemy import Vector
from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, SoftDelete, Timestamps, UUIDPk
from db.models.identity import (
    created_by_fk,
    fk,
    flag,
    ix,
    jsonb_object,
    one_of,
    org_listing,
    organization_fk,
)
from db.search_text import searchable

VECTOR_STORES = ("pgvector", "qdrant", "chroma")
# a document's ingestion: uploading (= pending, queued) → processing → completed (= ready) | failed
UPLOAD_STATUSES = ("uploading", "processing", "completed", "failed")
EMBEDDING_DIMENSIONS = 384


class KnowledgeCollection(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "knowledge_collections"
    __table_args__ = (one_of("vector_store", VECTOR_STORES), org_listing("knowledge_collections"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    collection_type: Mapped[str] = mapped_column(String(50), index=True, server_default="document")
    vector_store: Mapped[str] = mapped_column(String(20), server_default="pgvector")
    # the collection's name or id inside the vector store
    vector_collection_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    embedding_model: Mapped[str] = mapped_column(String(100),
                                                 server_default="multilingual-e5-small")
    embedding_dimensions: Mapped[int] = mapped_column(Integer, server_default=text("384"))
    chunk_size: Mapped[int] = mapped_column(Integer, server_default=text("1000"))
    chunk_overlap: Mapped[int] = mapped_column(Integer, server_default=text("200"))
    document_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    config: Mapped[dict[str, Any]] = jsonb_object()
    is_active: Mapped[bool] = flag(True, index=True)
    created_by: Mapped[uuid.UUID | None] = created_by_fk()


class KnowledgeDocument(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "knowledge_documents"
    __table_args__ = (
        one_of("upload_status", UPLOAD_STATUSES),
        ix("knowledge_documents", "collection_id", "id"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    collection_id: Mapped[uuid.UUID] = fk(
        "knowledge_collections.id", ondelete="CASCADE", index=False
    )
    file_id: Mapped[uuid.UUID | None] = fk("files.id", ondelete="SET NULL", nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_path: Mapped[str | None] = mapped_column(Text)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    file_type: Mapped[str | None] = mapped_column(String(50))
    content: Mapped[str | None] = mapped_column(Text)
    chunk_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    upload_status: Mapped[str] = mapped_column(String(20), index=True, server_default="uploading")
    processing_error: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[uuid.UUID | None] = created_by_fk()


class RagQuery(UUIDPk, CreatedAt, Base):
    """One retrieval (append-only history), kept for quality review and analytics."""

    __tablename__ = "rag_queries"
    __table_args__ = (
        ix("rag_queries", "collection_id", "id"),
        ix("rag_queries", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    collection_id: Mapped[uuid.UUID] = fk(
        "knowledge_collections.id", ondelete="CASCADE", index=False
    )
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True)
    query_text: Mapped[str] = mapped_column(Text)
    result_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    response_text: Mapped[str | None] = mapped_column(Text)
    query_time_ms: Mapped[int | None] = mapped_column(Integer)
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")


class KnowledgeChunk(searchable("content"), UUIDPk, CreatedAt, Base):
    """A piece of a document and its embedding: the pgvector store's rows (Qdrant and Chroma
    collections keep theirs outside PostgreSQL). Written in the same transaction that marks
    the document ready, so a document's chunks are all there or none are."""

    __tablename__ = "knowledge_chunks"
    __table_args__ = (
        ix("knowledge_chunks", "document_id", "position"),
        ix("knowledge_chunks", "collection_id", "id"),
        Index("ix_knowledge_chunks_embedding_hnsw", "embedding", postgresql_using="hnsw",
              postgresql_ops={"embedding": "vector_cosine_ops"}),
        ix("knowledge_chunks", "search_vector", postgresql_using="gin"),
        Index("ix_knowledge_chunks_content_trgm", "content", postgresql_using="gin",
              postgresql_ops={"content": "gin_trgm_ops"}),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    collection_id: Mapped[uuid.UUID] = fk(
        "knowledge_collections.id", ondelete="CASCADE", index=False
    )
    document_id: Mapped[uuid.UUID] = fk("knowledge_documents.id", ondelete="CASCADE", index=False)
    position: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    embedding: Mapped[Any] = mapped_column(Vector(EMBEDDING_DIMENSIONS))
    # the document's metadata, so that a search filters on it while it scans (`@>`)
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
