"""pgvector: chunks in the `knowledge_chunks` table, written in the caller's transaction, so a
document's chunks and its status commit together and many server processes share the store."""

from __future__ import annotations

import uuid

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.vectorstores.base import Chunk, Hit, Where


def literal(vector: list[float]) -> str:
    """pgvector's text form, so any driver can bind it (cast with ::vector)."""
    return "[" + ",".join(f"{x:.7g}" for x in vector) + "]"


class PgVector:
    name = "pgvector"

    async def replace_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                               collection_id: uuid.UUID, document_id: uuid.UUID,
                               chunks: list[Chunk]) -> None:
        await self.delete_document(session, organization_id=organization_id,
                                   collection_id=collection_id, document_id=document_id)
        if chunks:
            await session.execute(text(
                "INSERT INTO knowledge_chunks (organization_id, collection_id, document_id, "
                "position, content, embedding, metadata) VALUES (:org, :collection, :document, "
                ":position, :content, CAST(:embedding AS vector), CAST(:metadata AS jsonb))"),
                [{"org": organization_id, "collection": collection_id, "document": document_id,
                  "position": c.position, "content": c.content,
                  "embedding": literal(c.embedding),
                  "metadata": orjson.dumps(c.metadata).decode()} for c in chunks])

    async def delete_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                              collection_id: uuid.UUID, document_id: uuid.UUID) -> None:
        await session.execute(text("DELETE FROM knowledge_chunks WHERE document_id = :d"),
                              {"d": document_id})

    async def delete_collection(self, session: AsyncSession, *, organization_id: uuid.UUID,
                                collection_id: uuid.UUID) -> None:
        await session.execute(text("DELETE FROM knowledge_chunks WHERE collection_id = :c"),
                              {"c": collection_id})

    async def search(self, session: AsyncSession, *, organization_id: uuid.UUID,
                     collection_id: uuid.UUID, embedding: list[float], top_k: int,
                     min_score: float | None, where: Where | None = None) -> list[Hit]:
        # `<=>` is cosine distance, served by the HNSW index (vector_cosine_ops). The index
        # finds the nearest chunks of the whole table, the WHERE keeps this collection's: an
        # iterative scan goes on until `k` rows pass it, else a collection whose chunks are
        # not among the ef_search (40) nearest overall would get fewer hits, or none
        # (pgvector 0.8); its order is relaxed, so the outer query sorts the few it returns.
        # A metadata filter is one jsonb containment (`@>`: equal values, lists contained),
        # checked by the same scan, so it too yields `k` matching rows.
        await session.execute(text("SET LOCAL hnsw.iterative_scan = relaxed_order"))
        rows = await session.execute(text(
            "WITH nearest AS MATERIALIZED ("
            "SELECT document_id, position, content, embedding <=> CAST(:q AS vector) AS distance "
            "FROM knowledge_chunks WHERE organization_id = :org AND collection_id = :collection "
            "AND metadata @> CAST(:where AS jsonb) ORDER BY distance LIMIT :k) "
            "SELECT document_id, position, content, 1 - distance AS score FROM nearest "
            "ORDER BY distance"),
            {"q": literal(embedding), "org": organization_id, "collection": collection_id,
             "k": top_k, "where": orjson.dumps(where or {}).decode()})
        hits = [Hit(r.document_id, r.position, r.content, float(r.score)) for r in rows]
        return [h for h in hits if min_score is None or h.score >= min_score]
