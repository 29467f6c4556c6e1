"""ragQuery: the passages of a collection closest in meaning to a question, and on request an
answer generated from them by the collection's chat model.

Readable like `node(id:)`: a collection the caller cannot see is NOT_FOUND. The question is
embedded with the collection's embedder, the vector store searched within the collection's
organization, and the query kept in rag_queries with its timing (`query_time_ms`: the whole
call; `metadata.retrieval_ms`/`answer_ms`: its parts) and the answer in `response_text`.

When the provider fails or stays silent, the hits are still returned, the query is still
recorded (no `response_text`, the reason in `metadata.answer_error`) with a failed
`model_usage_logs` row, and the payload carries a PROVIDER_ERROR userError: the retrieval
happened and cost time, as a failed chat reply is kept in the usage log.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from db.models import AIModel, ModelUsageLog, RagQuery
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.knowledge import types
from graphql_schema.knowledge.inputs import RagFilter, RagQueryInput
from graphql_schema.knowledge.payloads import KnowledgeErrorCode, RagHit, RagQueryPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.chat.common import model_unavailable
from resolvers.input_checks import Checks
from resolvers.knowledge.grounding import Passage, Target, generate_answer, retrieve
from resolvers.knowledge.models import CHAT_MODEL_ID
from resolvers.mutations import mutation_payload, require_authenticated, user_errors, write
from services.embeddings import EmbeddingError, EmbeddingsUnavailable
from services.knowledge.metadata import metadata_problem
from services.pricing import cost_of
from services.providers import ProviderError
from services.providers.base import estimate_tokens

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
        where = rag_where(checks, input.filter)
        model = await _chat_model(info, checks, collection) if input.answer else None
        checks.raise_if_any()
        target = Target.of(collection)
        try:
            async with info.context.db.sessionmaker() as session:
                passages = await retrieve(session, target, question, top_k=input.top_k,
                                          min_score=input.min_score, where=where)
        except EmbeddingsUnavailable as error:
            checks.add(None, str(error), KnowledgeErrorCode.NOT_SUPPORTED)
        except (EmbeddingError, LookupError) as error:
            checks.add(None, str(error), KnowledgeErrorCode.PROVIDER_ERROR)
        checks.raise_if_any()
        retrieved = time.perf_counter()
        metadata: dict[str, Any] = {"top_k": input.top_k, "min_score": input.min_score,
                                    "retrieval_ms": _ms(started, retrieved)}
        if where:
            metadata["filter"] = where
        answer, usage = None, None
        if model is not None:
            answer, usage, error = await _answer(info, model, question, passages)
            metadata["answer_ms"] = _ms(retrieved)
            if error is not None:
                metadata["answer_error"] = error
                checks.add("answer", error, KnowledgeErrorCode.PROVIDER_ERROR)
        elapsed = _ms(started)
        async with write(info) as tx:
            tx.session.add(RagQuery(
                organization_id=collection.organization_id, collection_id=collection_id,
                user_id=info.context.principal.user_id, query_text=question,
                result_count=len(passages), response_text=answer, query_time_ms=elapsed,
                metadata_=metadata))
            if usage is not None:
                tx.session.add(usage)
        documents = info.context.loaders.node(types.KnowledgeDocument)
        found = await asyncio.gather(*(documents.load(p.document_id) for p in passages))
        return RagQueryPayload(
            hits=[RagHit(score=p.score, content=p.content, position=p.position, document=d)
                  for p, d in zip(passages, found, strict=True) if d is not None],
            answer=answer, query_time_ms=elapsed, user_errors=user_errors(checks.problems))

    return await mutation_payload(body, lambda e: RagQueryPayload(user_errors=e))


async def _chat_model(info: Info, checks: Checks, collection: types.KnowledgeCollection
                      ) -> AIModel | None:
    """The collection's chat model, when it can answer now; else the reason as a problem."""
    config = collection.config if isinstance(collection.config, dict) else {}
    model_id = config.get(CHAT_MODEL_ID)
    if model_id is None:
        checks.add("answer", "This collection has no chat model to answer with: set its "
                   "chatModelId (updateKnowledgeCollection)",
                   KnowledgeErrorCode.CHAT_MODEL_REQUIRED)
        return None
    async with info.context.db.sessionmaker() as session:
        model = await session.get(AIModel, uuid.UUID(str(model_id)))
    reason = model_unavailable(model) if model is not None else "The chat model was deleted"
    if reason is not None:
        checks.add("answer", reason, KnowledgeErrorCode.MODEL_UNAVAILABLE)
        return None
    return model


async def _answer(info: Info, model: AIModel, question: str, passages: list[Passage]
                  ) -> tuple[str | None, ModelUsageLog, str | None]:
    """(answer, usage row, error): the generation, its cost, and why it failed if it did."""
    began = time.perf_counter()
    limit = info.context.settings.chat_provider_timeout_seconds
    answer: str | None = None
    status, error = "success", None
    try:
        answer = await generate_answer(
            provider=model.provider, model_name=model.name, model_config=dict(model.config or {}),
            question=question, passages=passages, silence_limit=limit)
        if not answer.strip():
            raise ProviderError("The provider sent an empty answer")
    except ProviderError as failure:
        answer, status, error = None, "error", str(failure)
    except TimeoutError:
        answer, status, error = None, "timeout", f"The provider sent nothing for {limit:g} s"
    prompt = estimate_tokens(question) + sum(estimate_tokens(p.content) for p in passages)
    completion = estimate_tokens(answer or "")
    usage = ModelUsageLog(
        organization_id=model.organization_id, user_id=info.context.principal.user_id,
        model_id=model.id, request_type="rag", input_tokens=prompt, output_tokens=completion,
        total_tokens=prompt + completion, cost=cost_of(dict(model.pricing or {}), prompt,
                                                       completion),
        duration_ms=_ms(began), status=status, error_message=error)
    return answer, usage, error


def rag_where(checks: Checks, given: RagFilter | None) -> dict[str, Any]:
    """The store's metadata filter (services/vectorstores/base.py `Where`) from ragQuery's."""
    if given is None:
        return {}
    where: dict[str, Any] = {}
    if given.metadata is not None:
        problem = metadata_problem(given.metadata)
        if problem is not None:
            checks.add("filter", f"filter.{problem}", KnowledgeErrorCode.INVALID)
            return {}
        where.update(given.metadata)
    for key, value in (("category", given.category), ("language", given.language),
                       ("tags", given.tags)):
        if value is not None:
            where[key] = value
    return {k: v for k, v in where.items() if v != []}  # an empty list asks for nothing


def _ms(began: float, until: float | None = None) -> int:
    return round(((until if until is not None else time.perf_counter()) - began) * 1000)
