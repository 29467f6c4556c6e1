"""The vector-store interface and its pgvector backend.

A collection names its store (`vector_store`). pgvector keeps chunks in `knowledge_chunks`,
written in the caller's transaction, so a document's chunks and its `completed` status commit
together, and many server processes share the store safely. Qdrant and Chroma are not
implemented yet: a collection can only be created with `pgvector`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

IMPLEMENTED = ("pgvector",)


@dataclass(frozen=True, slots=True)
class Chunk:
    position: int
    content: str
    embedding: list[float]


@dataclass(frozen=True, slots=True)
class Hit:
    document_id: uuid.UUID
    position: int
    content: str
    score: float  # cosine similarity, 1 = same direction


class VectorStore(Protocol):
    async def replace_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                               collection_id: uuid.UUID, document_id: uuid.UUID,
                               chunks: list[Chunk]) -> None:
        """The document's chunks become exactly `chunks`."""

    async def delete_document(self, session: AsyncSession, document_id: uuid.UUID) -> None: ...

    async def search(self, session: AsyncSession, *, organization_id: uuid.UUID,
                     collection_id: uuid.UUID, embedding: list[float], top_k: int,
                     min_score: float | None) -> list[Hit]: ...


def literal(vector: list[float]) -> str:
    """pgvector's text form, so any driver can bind it (cast with ::vector)."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


class PgVector:
    async def replace_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                               collection_id: uuid.UUID, document_id: uuid.UUID,
                               chunks: list[Chunk]) -> None:
        await self.delete_document(session, document_id)
        if chunks:
            await session.execute(text(
                "INSERT INTO knowledge_chunks (organization_id, collection_id, document_id, "
                "position, content, embedding) VALUES (:org, :collection, :document, :position, "
                ":content, CAST(:embedding AS vector))"),
                [{"org": organization_id, "collection": collection_id, "document": document_id,
                  "position": c.position, "content": c.content,
                  "embedding": literal(c.embedding)} for c in chunks])

    async def delete_document(self, session: AsyncSession, document_id: uuid.UUID) -> None:
        await session.execute(text("DELETE FROM knowledge_chunks WHERE document_id = :d"),
                              {"d": document_id})

    async def search(self, session: AsyncSession, *, organization_id: uuid.UUID,
                     collection_id: uuid.UUID, embedding: list[float], top_k: int,
                     min_score: float | None) -> list[Hit]:
        # `<=>` is cosine distance, served by the HNSW index (vector_cosine_ops)
        rows = await session.execute(text(
            "SELECT document_id, position, content, "
            "1 - (embedding <=> CAST(:q AS vector)) AS score "
            "FROM knowledge_chunks WHERE organization_id = :org AND collection_id = :collection "
            "ORDER BY embedding <=> CAST(:q AS vector) LIMIT :k"),
            {"q": literal(embedding), "org": organization_id, "collection": collection_id,
             "k": top_k})
        hits = [Hit(r.document_id, r.position, r.content, float(r.score)) for r in rows]
        return [h for h in hits if min_score is None or h.score >= min_score]


_STORES: dict[str, VectorStore] = {"pgvector": PgVector()}


def store_for(name: str) -> VectorStore:
    store = _STORES.get(name)
    if store is None:
        raise LookupError(f"The {name} vector store is not available in this server")
    return store
