"""Troubleshooting passages for each fault, from a knowledge collection the job names
(`parameters.troubleshootingCollectionId`): the same retrieval as ragQuery, embedding the
fault's bilingual title with the collection's model and searching its vector store."""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import KnowledgeCollection, KnowledgeDocument
from services.charging.findings import Finding
from services.embeddings import EmbeddingError, embed_for_collection
from services.vectorstores import VectorStoreError, store_for

log = logging.getLogger("aiplatform.charging")
TOP_K = 3
PARAMETER = "troubleshootingCollectionId"


def collection_id_of(parameters: dict[str, Any]) -> uuid.UUID | None:
    """The collection the job's parameters name; ValueError when it is not an id."""
    value = parameters.get(PARAMETER)
    if value in (None, ""):
        return None
    text = str(value)
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    try:  # a global ID (KnowledgeCollection:<uuid>), as the API hands them out
        kind, _, key = base64.b64decode(text, validate=True).decode().partition(":")
        if kind == "KnowledgeCollection":
            return uuid.UUID(key)
    except (ValueError, UnicodeError, binascii.Error):
        pass
    raise ValueError(f"{PARAMETER}: {text!r} is not a knowledge collection id")


async def cite(session: AsyncSession, organization_id: uuid.UUID, collection_id: uuid.UUID,
               faults: list[Finding]) -> str | None:
    """Adds `citations` to each fault's evidence; returns why it could not, or None."""
    collection = await session.scalar(select(KnowledgeCollection).where(
        KnowledgeCollection.id == collection_id,
        KnowledgeCollection.organization_id == organization_id,
        KnowledgeCollection.deleted_at.is_(None)))
    if collection is None:
        return "the troubleshooting collection does not exist in this organization"
    if not faults:
        return None
    try:
        vectors = await embed_for_collection(
            session, organization_id=organization_id,
            embedding_model=collection.embedding_model,
            dimensions=collection.embedding_dimensions, config=dict(collection.config or {}),
            texts=[f"{f.title_zh} {f.title_en}: {f.text_en}" for f in faults])
        store = store_for(collection.vector_store)
        for fault, vector in zip(faults, vectors, strict=True):
            hits = await store.search(session, organization_id=organization_id,
                                      collection_id=collection_id, embedding=vector,
                                      top_k=TOP_K, min_score=None)
            titles = dict((await session.execute(
                select(KnowledgeDocument.id, KnowledgeDocument.filename).where(
                    KnowledgeDocument.id.in_({h.document_id for h in hits}),
                    KnowledgeDocument.deleted_at.is_(None)))).all())
            fault.evidence["citations"] = [
                {"documentId": str(h.document_id), "title": titles[h.document_id],
                 "position": h.position, "content": h.content, "score": round(h.score, 4)}
                for h in hits if h.document_id in titles]
    except (EmbeddingError, VectorStoreError) as error:
        log.warning("charging analysis: no citations from %s: %s", collection_id, error)
        return f"troubleshooting passages unavailable: {error}"
    return None
