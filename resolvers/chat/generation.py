"""Generating a reply in the background: stream it out through Redis, then store it.

`sendMessage` and `regenerateMessage` commit the user's side and hand a `ReplyJob` (every
value the reply needs, captured inside their transaction) to the process's `GenerationTasks`.
The task publishes `started` and each piece (services/chat_stream.py), then stores the
assistant message with the ID announced in those events, its token counts and a
`model_usage_logs` row priced from `ai_models.pricing`, all in one transaction, and only
then publishes `completed`. A provider that fails or stays silent longer than
`chat_provider_timeout_seconds` ends the reply as `failed` (with a usage row saying why);
the user's message stays and can be answered again. A reply in a chat on a deployment is
answered by the deployment the gateway's routing chose (`through_deployment`) and its usage
row is the gateway's, with that deployment (services/gateway/accounting.py).

Publishing is best effort, storing is not: while Redis is down, the reply goes on generating
unpublished (its subscribers were told the bus is gone, and find the stored reply when they
subscribe again), and it is stored complete, or failed with its reason, all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Delete

from db.models import ChatMessage, ChatPendingReply, ChatSession, ModelUsageLog
from graphql_schema.chat.types import ChatMessage as ChatMessageNode
from resolvers.chat.common import next_sequence
from resolvers.knowledge.grounding import chat_passages, grounded_turns
from services.chat_stream import (
    completed_event,
    failed_event,
    publish_delta,
    publish_end,
    publish_started,
)
from services.embeddings import EmbeddingError
from services.gateway.accounting import Usage, usage_row
from services.gateway.targets import Target
from services.metrics import observe_reply
from services.orphaned_replies import SERVER_STOPPED
from services.pricing import cost_of
from services.providers import ChatRequest, ChatTurn, ProviderError, provider_for
from services.providers.base import estimate_tokens
from services.redis_pool import best_effort

log = logging.getLogger("aiplatform.chat")

CANCELLED = SERVER_STOPPED  # said the same whether the server stopped gracefully or was killed
UNEXPECTED = "The reply failed unexpectedly; regenerate it"


@dataclass(frozen=True, slots=True)
class ReplyJob:
    session_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    model_id: uuid.UUID
    reply_id: uuid.UUID
    parent_id: uuid.UUID  # the user message it answers
    provider: str
    model_name: str
    turns: tuple[ChatTurn, ...]
    options: dict[str, Any] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)
    pricing: dict[str, Any] = field(default_factory=dict)
    knowledge_collection_id: uuid.UUID | None = None  # passages ground the reply
    passages: tuple[str, ...] | None = None  # retrieved from that collection
    target: Target | None = None  # the deployment that answers a chat on a deployment
    api_key_id: uuid.UUID | None = None  # the key the reply was asked for with

    @property
    def prompt_tokens(self) -> int:
        return sum(estimate_tokens(t.content) for t in self.turns)


def through_deployment(job: ReplyJob, target: Target, api_key_id: uuid.UUID | None
                       ) -> ReplyJob:
    """The reply answered by the deployment the gateway's routing chose: its model, provider,
    config and pricing."""
    return replace(job, target=target, api_key_id=api_key_id, model_id=target.model_id,
                   provider=target.provider, model_name=target.model_name,
                   model_config=dict(target.config), pricing=dict(target.pricing))


@dataclass(frozen=True, slots=True)
class Resources:
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: Redis
    timeout: float


async def generate(res: Resources, job: ReplyJob) -> None:
    """The whole life of one reply; never raises except on cancellation."""
    began = time.monotonic()
    pieces: list[str] = []
    try:
        await best_effort(publish_started(res.redis, job.session_id, job.reply_id,
                                          job.parent_id), "chat")
        job = await _grounded(res, job)
        request = ChatRequest(model_name=job.model_name, turns=job.turns, options=job.options,
                              model_config=job.model_config, passages=job.passages)
        stream = provider_for(job.provider, timeout=res.timeout).stream(request)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            while True:
                try:
                    async with asyncio.timeout(res.timeout):
                        piece = await anext(stream)
                except StopAsyncIteration:
                    break
                await best_effort(publish_delta(res.redis, job.session_id, job.reply_id,
                                                len(pieces), piece), "chat")
                pieces.append(piece)
        if not "".join(pieces).strip():
            raise ProviderError("The provider sent an empty reply")
        message = await _store_reply(res, job, "".join(pieces), _ms(began))
    except ProviderError as error:
        await _fail(res, job, pieces, "error", str(error), began)
        return
    except TimeoutError:
        await _fail(res, job, pieces, "timeout",
                    f"The provider sent nothing for {res.timeout:g} s", began)
        return
    except asyncio.CancelledError:
        await _fail(res, job, pieces, "cancelled", CANCELLED, began)
        raise
    except Exception:
        log.exception("reply %s failed", job.reply_id)
        await _fail(res, job, pieces, "error", UNEXPECTED, began)
        return
    observe_reply(job.provider, message["prompt_tokens"], message["completion_tokens"],
                  time.monotonic() - began)
    await best_effort(publish_end(res.redis, job.session_id, job.reply_id,
                                  completed_event(message)), "chat")


async def _grounded(res: Resources, job: ReplyJob) -> ReplyJob:
    """With a knowledge collection attached, the passages closest to the user's message join
    the prompt (resolvers/knowledge/grounding.py); a failed retrieval fails the reply."""
    if job.knowledge_collection_id is None:
        return job
    try:
        passages = await chat_passages(
            res.sessionmaker, collection_id=job.knowledge_collection_id,
            organization_id=job.organization_id, user_id=job.user_id,
            question=job.turns[-1].content,
            metadata={"chat_session_id": str(job.session_id),
                      "reply_message_id": str(job.reply_id)})
    except (EmbeddingError, LookupError) as error:
        raise ProviderError(f"Could not search the chat's knowledge collection: {error}"
                            ) from None
    return replace(job, turns=grounded_turns(job.turns, passages),
                   passages=tuple(p.content for p in passages))


async def _store_reply(res: Resources, job: ReplyJob, content: str, duration_ms: int
                       ) -> dict[str, Any]:
    """The assistant message, the session's counters and the usage row, in one transaction;
    the stored message as the `completed` event carries it."""
    prompt, completion = job.prompt_tokens, estimate_tokens(content)
    async with res.sessionmaker() as session, session.begin():
        chat = await session.scalar(select(ChatSession).where(
            ChatSession.id == job.session_id).with_for_update())
        if chat is None or chat.deleted_at is not None:
            raise ProviderError("The chat was deleted before the reply was complete")
        row = ChatMessage(
            id=job.reply_id, organization_id=job.organization_id, session_id=job.session_id,
            role="assistant", content=content, prompt_tokens=prompt,
            completion_tokens=completion, total_tokens=prompt + completion,
            sequence_number=await next_sequence(session, chat.id),
            parent_message_id=job.parent_id,
            metadata_=_reply_metadata(job, duration_ms),
        )
        session.add(row)
        chat.message_count += 1
        chat.total_tokens += prompt + completion
        chat.last_message_at = datetime.now(UTC)
        session.add(_usage(job, prompt, completion, duration_ms, "success", None))
        await session.execute(_no_longer_pending(job))
        await session.flush()
        await session.refresh(row, ["created_at"])
    return {c: getattr(row, "metadata_" if c == "metadata" else c)
            for c in ChatMessageNode.columns()}


async def _fail(res: Resources, job: ReplyJob, pieces: list[str], status: str, error: str,
                began: float) -> None:
    completion = estimate_tokens("".join(pieces))
    try:
        async with res.sessionmaker() as session, session.begin():
            session.add(_usage(job, job.prompt_tokens, completion, _ms(began), status, error))
            await session.execute(_no_longer_pending(job))
    except Exception:  # the client must still learn that the reply ended
        log.exception("could not record the failed reply %s", job.reply_id)
    await best_effort(publish_end(res.redis, job.session_id, job.reply_id,
                                  failed_event(job.reply_id, error)), "chat")


def pending_reply(job: ReplyJob, holder: int) -> ChatPendingReply:
    """The row that says, in the asking transaction, that this process owes the reply: if the
    process dies before storing it, others end it (services/orphaned_replies.py)."""
    return ChatPendingReply(
        id=job.reply_id, organization_id=job.organization_id, session_id=job.session_id,
        user_id=job.user_id, model_id=job.model_id, parent_message_id=job.parent_id,
        deployment_id=None if job.target is None else job.target.deployment_id,
        api_key_id=job.api_key_id, holder=holder, prompt_tokens=job.prompt_tokens,
        prompt_cost=cost_of(job.pricing, job.prompt_tokens, 0))


def _no_longer_pending(job: ReplyJob) -> Delete:
    return delete(ChatPendingReply).where(ChatPendingReply.id == job.reply_id)
def _reply_metadata(job: ReplyJob, duration_ms: int) -> dict[str, Any]:
    """What the stored reply says about how it was made (and by which deployment)."""
    made = {"model": job.model_name, "provider": job.provider, "duration_ms": duration_ms}
    if job.target is not None:
        made |= {"deployment_id": str(job.target.deployment_id),
                 "deployment": job.target.name, "environment": job.target.environment}
    return made


def _usage(job: ReplyJob, prompt: int, completion: int, duration_ms: int, status: str,
           error: str | None) -> ModelUsageLog:
    """The reply's usage row; a reply of a deployment is accounted as a gateway call to it."""
    cost = cost_of(job.pricing, prompt, completion)
    metadata = {"message_id": str(job.reply_id)}
    if job.target is not None:
        return usage_row(Usage(job.target, "chat", job.user_id, job.api_key_id,
                               input_tokens=prompt, output_tokens=completion, cost=cost,
                               status=status, error=error, metadata=metadata,
                               session_id=job.session_id), duration_ms)
    return ModelUsageLog(
        organization_id=job.organization_id, user_id=job.user_id, model_id=job.model_id,
        session_id=job.session_id, request_type="chat", input_tokens=prompt,
        output_tokens=completion, total_tokens=prompt + completion, cost=cost,
        duration_ms=duration_ms, status=status, error_message=error, metadata_=metadata,
    )


def _ms(began: float) -> int:
    return round((time.monotonic() - began) * 1000)
