"""ragQuery: the passages of a collection closest in meaning to a question.

Readable like `node(id:)`: a collection the caller cannot see is NOT_FOUND. The question is
embedded with the collection's model, the vector store searched within the collection's
organization, and the query kept in rag_queries with its timing. Answer generation is not
available yet (`answer: true` is a NOT_SUPPORTED userError).
"""

from __future__ import annotations

import asyncio
import time

from app.embeddings import EmbeddingsUnavailable, embedder
from app.knowledge.stores import store_for
from db.models import RagQuery
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.knowledge import types
from graphql_schema.knowledge.inputs import RagQueryInput
from graphql_schema.knowledge.payloads import KnowledgeErrorCode, RagHit, RagQueryPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.input_checks import Checks
from resolvers.mutations import mutation_payload, require_authenticated, write

MAX_QUERY = 2000


async def rag_query(info: Info, input: RagQueryInput) -> RagQueryPayload:
    require_authenticated(info)
    collection_id = decode_global_id_of(input.collection_id, types.KnowledgeCollection,
                                        field="collectionId")
    collection = await info.context.loaders.node(types.KnowledgeCollection).load(collection_id)
    if collection is None:
        raise NotFound("collectionId: no such knowledge collection", field="collectionId")

    async def body() -> RagQueryPayload:
        started = time.perf_counter()
        checks = Checks()
        question = checks.name("query", input.query, MAX_QUERY)
        checks.int_range("topK", input.top_k, 1, 50)
        if input.min_score is not None:
            if not -1.0 <= input.min_score <= 1.0:
                checks.add("minScore", "minScore must be between -1 and 1",
                           KnowledgeErrorCode.OUT_OF_RANGE)
        if input.answer:
            checks.add("answer", "Answer generation is not available yet: ask for hits only",
                       KnowledgeErrorCode.NOT_SUPPORTED)
        checks.raise_if_any()
        try:
            model = await asyncio.to_thread(embedder)
        except EmbeddingsUnavailable as error:
            checks.add(None, str(error), KnowledgeErrorCode.NOT_SUPPORTED)
            checks.raise_if_any()
            raise
        [vector] = await asyncio.to_thread(model.embed, [question])
        async with write(info) as tx:
            hits = await store_for(collection.vector_store).search(
                tx.session, organization_id=collection.organization_id,
                collection_id=collection_id, embedding=vector, top_k=input.top_k,
                min_score=input.min_score)
            elapsed = round((time.perf_counter() - started) * 1000)
            tx.session.add(RagQuery(
                organization_id=collection.organization_id, collection_id=collection_id,
                user_id=info.context.principal.user_id, query_text=question,
                result_count=len(hits), query_time_ms=elapsed,
                metadata_={"top_k": input.top_k, "min_score": input.min_score}))
        documents = info.context.loaders.node(types.KnowledgeDocument)
        found = await asyncio.gather(*(documents.load(h.document_id) for h in hits))
        return RagQueryPayload(
            hits=[RagHit(score=h.score, content=h.content, position=h.position, document=d)
                  for h, d in zip(hits, found, strict=True) if d is not None],
            query_time_ms=elapsed)

    return await mutation_payload(body, lambda e: RagQueryPayload(user_errors=e))
