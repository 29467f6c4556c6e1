"""Factories of the knowledge domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import File, KnowledgeCollection, KnowledgeDocument, Organization, RagQuery, User

_seq = itertools.count(1)


async def make_collection(
    session: AsyncSession, *, organization: Organization, name: str | None = None,
    collection_type: str = "document", config: dict | None = None,
    deleted_at: datetime | None = None,
) -> KnowledgeCollection:
    collection = KnowledgeCollection(
        organization_id=organization.id, name=name or f"collection-{next(_seq)}",
        collection_type=collection_type, config=config or {}, deleted_at=deleted_at,
    )
    session.add(collection)
    await session.flush()
    return collection


async def make_document(
    session: AsyncSession, *, collection: KnowledgeCollection, filename: str | None = None,
    file: File | None = None, upload_status: str = "completed", chunk_count: int = 0,
    deleted_at: datetime | None = None, content: str | None = None,
) -> KnowledgeDocument:
    document = KnowledgeDocument(content=content,
        organization_id=collection.organization_id, collection_id=collection.id,
        filename=filename or f"doc-{next(_seq)}.txt", file_id=file.id if file else None,
        upload_status=upload_status, chunk_count=chunk_count, deleted_at=deleted_at,
    )
    session.add(document)
    await session.flush()
    return document


async def make_rag_query(
    session: AsyncSession, *, collection: KnowledgeCollection, user: User | None = None,
    query_text: str | None = None, result_count: int = 0, created_at: datetime | None = None,
) -> RagQuery:
    """`created_at` defaults to the transaction's start, so pass it to order a history."""
    query = RagQuery(
        organization_id=collection.organization_id, collection_id=collection.id,
        user_id=user.id if user else None, query_text=query_text or f"question {next(_seq)}?",
        result_count=result_count, **({"created_at": created_at} if created_at else {}),
    )
    session.add(query)
    await session.flush()
    return query
