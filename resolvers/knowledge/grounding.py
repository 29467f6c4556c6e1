"""Retrieval-augmented generation, shared by ragQuery(answer: true) and chats that have a
knowledge collection attached: find the passages, number them into a prompt, record the query.

The prompt is one system turn (the instructions, then the passages as `[1] (title) text`)
followed by the question, so any OpenAI-compatible server accepts it; the passages also travel
in `ChatRequest.passages` for the local provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.models import KnowledgeCollection, KnowledgeDocument, RagQuery
from services.embeddings import cosine_threshold, embedder_for, relevance
from services.embeddings.base import check_dimensions
from services.providers import ChatRequest, ChatTurn, provider_for
from services.vectorstores import store_for

INSTRUCTIONS = (
    "Answer the question using only the numbered context passages below. Cite the passages "
    "you use as [1], [2]... If they do not contain the answer, say that you do not know.")
CHAT_TOP_K = 4  # passages given to a chat reply
MAX_QUESTION = 32_000


@dataclass(frozen=True, slots=True)
class Passage:
    document_id: uuid.UUID
    title: str
    position: int
    content: str
    score: float


@dataclass(frozen=True, slots=True)
class Target:
    """What retrieval needs of a collection (a row or a node of knowledge_collections)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    vector_store: str
    embedding_model: str
    embedding_dimensions: int
    config: dict[str, Any]

    @classmethod
    def of(cls, collection: Any) -> Target:
        store = collection.vector_store
        return cls(collection.id, collection.organization_id, str(getattr(store, "value", store)),
                   collection.embedding_model, collection.embedding_dimensions,
                   dict(collection.config or {}))


async def live_collection(session: AsyncSession, collection_id: uuid.UUID,
                          organization_id: uuid.UUID) -> Target | None:
    row = await session.scalar(select(KnowledgeCollection).where(
        KnowledgeCollection.id == collection_id,
        KnowledgeCollection.organization_id == organization_id,
        KnowledgeCollection.deleted_at.is_(None)))
    return Target.of(row) if row is not None else None


async def retrieve(session: AsyncSession, target: Target, question: str, *, top_k: int,
                   min_score: float | None = None, where: dict[str, Any] | None = None
                   ) -> list[Passage]:
    """The collection's passages closest to the question, best first, with their titles; their
    scores on the shared relevance scale (services/embeddings/scale.py), `min_score` on it too.
    `where` keeps chunks whose document metadata matches (services/vectorstores/base.py).
    Raises EmbeddingError (the embedder failed) or LookupError (no such vector store)."""
    embedder = await embedder_for(session, organization_id=target.organization_id,
                                  embedding_model=target.embedding_model, config=target.config)
    [vector] = await embedder.embed([question], query=True)
    check_dimensions([vector], target.embedding_dimensions, embedder.name)
    floor = cosine_threshold(min_score, embedder.baseline) if min_score is not None else None
    found = await store_for(target.vector_store).search(
        session, organization_id=target.organization_id, collection_id=target.id,
        embedding=vector, top_k=top_k, min_score=floor, where=where or None)
    hits = [replace(h, score=relevance(h.score, embedder.baseline)) for h in found]
    titles = dict((await session.execute(
        select(KnowledgeDocument.id, KnowledgeDocument.filename).where(
            KnowledgeDocument.id.in_({h.document_id for h in hits}),
            KnowledgeDocument.organization_id == target.organization_id,
            KnowledgeDocument.deleted_at.is_(None)))).all())
    return [Passage(h.document_id, titles[h.document_id], h.position, h.content, h.score)
            for h in hits if h.document_id in titles]


async def chat_passages(sessionmaker: async_sessionmaker[AsyncSession], *,
                        collection_id: uuid.UUID, organization_id: uuid.UUID,
                        user_id: uuid.UUID | None, question: str, metadata: dict[str, Any]
                        ) -> list[Passage]:
    """A chat reply's passages, the retrieval recorded in rag_queries like any other (the reply
    itself is the chat message named in `metadata`). Raises LookupError when the collection is
    gone, EmbeddingError when the embedder fails."""
    began = time.perf_counter()
    async with sessionmaker() as session, session.begin():
        target = await live_collection(session, collection_id, organization_id)
        if target is None:
            raise LookupError("the collection was deleted")
        passages = await retrieve(session, target, question, top_k=CHAT_TOP_K)
        session.add(RagQuery(
            organization_id=organization_id, collection_id=collection_id, user_id=user_id,
            query_text=question[:MAX_QUESTION], result_count=len(passages),
            query_time_ms=round((time.perf_counter() - began) * 1000),
            metadata_={"top_k": CHAT_TOP_K, **metadata}))
    return passages


def context(passages: list[Passage]) -> str:
    """The instructions and the numbered passages, as a system message."""
    numbered = "\n\n".join(f"[{i}] ({p.title}) {' '.join(p.content.split())}"
                           for i, p in enumerate(passages, 1))
    return f"{INSTRUCTIONS}\n\nContext passages:\n\n{numbered or '(none found)'}"


def grounded_turns(turns: tuple[ChatTurn, ...], passages: list[Passage]) -> tuple[ChatTurn, ...]:
    """The conversation with the context added to its system turn (one is made if none)."""
    if turns and turns[0].role == "system":
        first = ChatTurn("system", f"{turns[0].content}\n\n{context(passages)}")
        return (first, *turns[1:])
    return (ChatTurn("system", context(passages)), *turns)


async def generate_answer(*, provider: str, model_name: str, model_config: dict[str, Any],
                          question: str, passages: list[Passage], silence_limit: float,
                          options: dict[str, Any] | None = None) -> str:
    """The whole answer of the chat model (not streamed: ragQuery returns it at once). Raises
    ProviderError, or TimeoutError when the provider stays silent for `silence_limit` seconds."""
    request = ChatRequest(model_name=model_name,
                          turns=grounded_turns((ChatTurn("user", question),), passages),
                          options=options or {}, model_config=model_config,
                          passages=tuple(p.content for p in passages))
    stream = provider_for(provider, timeout=silence_limit).stream(request)
    pieces: list[str] = []
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        while True:
            try:
                async with asyncio.timeout(silence_limit):
                    pieces.append(await anext(stream))
            except StopAsyncIteration:
                break
    return "".join(pieces)
