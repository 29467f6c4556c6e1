"""sendMessage and regenerateMessage: store the user's side, then start the reply.

Both lock the session row, so the sequence number of the new message is unique however many
writers there are; the reply's ID is chosen here, before anything streams, and returned as
`replyMessageId`. The reply runs as a task of this process (resolvers/chat/generation.py),
started only after the commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from db.models import AIModel, ChatMessage, ChatSession
from graphql_schema.chat.inputs import RegenerateMessageInput, SendMessageInput
from graphql_schema.chat.payloads import ChatErrorCode as Code
from graphql_schema.chat.payloads import RegenerateMessagePayload, SendMessagePayload
from graphql_schema.chat.types import ChatMessage as ChatMessageNode
from graphql_schema.chat.types import ChatSession as ChatSessionNode
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.chat.common import app_state, model_unavailable, next_sequence, session_for_write
from resolvers.chat.deployments import budget_problems, on_deployment, reply_target
from resolvers.chat.generation import (
    ReplyJob,
    Resources,
    generate,
    pending_reply,
    through_deployment,
)
from resolvers.chat.knowledge import attached, with_collection
from resolvers.chat.validation import content_problems
from resolvers.mutations import InvalidInput, Problem, mutation_payload, write
from services.gateway.targets import Target
from services.providers import ChatTurn
from services.providers.base import estimate_tokens

# The branch a reply continues: the prompt and its ancestors, oldest first.
CHAIN_SQL = text("""
WITH RECURSIVE chain AS (
    SELECT id, parent_message_id, role, content, sequence_number, 1 AS depth
    FROM chat_messages WHERE id = :start
  UNION ALL
    SELECT m.id, m.parent_message_id, m.role, m.content, m.sequence_number, c.depth + 1
    FROM chat_messages m JOIN chain c ON m.id = c.parent_message_id
    WHERE c.depth < 10000
)
SELECT role, content FROM chain WHERE role IN ('user', 'assistant', 'system')
ORDER BY sequence_number""")


async def _answerer(info: Info, chat: ChatSession, model: AIModel | None
                    ) -> tuple[Target | None, list[Problem]]:
    """Who answers the next reply: the chat's model, or for a chat on a deployment the
    deployment the gateway's routing picks (resolvers/chat/deployments.py); with the
    problems that stop a reply."""
    problems = []
    if chat.status == "archived":
        problems.append(Problem("sessionId", "This chat is archived", Code.SESSION_ARCHIVED))
    if on_deployment(chat):
        target, route_problems = await reply_target(info, chat)
        return target, problems + route_problems
    reason = model_unavailable(model)
    if reason is not None:
        problems.append(Problem("sessionId", reason, Code.MODEL_UNAVAILABLE))
    return None, problems + await budget_problems(info, chat)


async def _parent(session: AsyncSession, chat: ChatSession, parent_id: uuid.UUID | None
                  ) -> tuple[uuid.UUID | None, list[Problem]]:
    """The message a new user message follows: the given one, or the session's latest."""
    if parent_id is None:
        latest = await session.scalar(
            select(ChatMessage.id).where(ChatMessage.session_id == chat.id)
            .order_by(ChatMessage.sequence_number.desc()).limit(1))
        return latest, []
    parent = await session.get(ChatMessage, parent_id)
    if parent is None or parent.organization_id != chat.organization_id:
        raise NotFound("parentMessageId: no such message", field="parentMessageId")
    if parent.session_id != chat.id:
        return None, [Problem("parentMessageId", "That message is in another chat",
                              Code.INVALID_PARENT)]
    return parent.id, []


async def _reply_job(info: Info, session: AsyncSession, chat: ChatSession, model: AIModel,
                     prompt_id: uuid.UUID, deployment: Target | None) -> ReplyJob:
    """Everything the reply needs, read now (inside the transaction) so the task needs no
    request: the branch as conversation turns, trimmed to the model's context window, and
    who answers (the chat's model, or `deployment`). The reply is owed from this transaction
    on: its pending row names this process (resolvers/chat/generation.py `pending_reply`)."""
    rows = (await session.execute(CHAIN_SQL, {"start": prompt_id})).all()
    turns = [ChatTurn(role, content) for role, content in rows]
    options = with_collection(dict(chat.config or {}), None)
    if model.context_window:
        budget = model.context_window - int(options.get("max_tokens") or 0)
        if chat.system_prompt:
            budget -= estimate_tokens(chat.system_prompt)
        sizes = [estimate_tokens(t.content) for t in turns]
        total, first = sum(sizes), 0
        while first < len(turns) - 1 and total > budget:  # the prompt itself always stays
            total -= sizes[first]
            first += 1
        turns = turns[first:]  # the oldest turns go first
    if chat.system_prompt:
        turns.insert(0, ChatTurn("system", chat.system_prompt))
    job = ReplyJob(
        session_id=chat.id, organization_id=chat.organization_id, user_id=chat.user_id,
        model_id=model.id, reply_id=uuid.uuid4(), parent_id=prompt_id,
        provider=model.provider, model_name=model.name, turns=tuple(turns), options=options,
        model_config=dict(model.config or {}), pricing=dict(model.pricing or {}),
        knowledge_collection_id=attached(chat.config),
    )
    if deployment is not None:
        job = through_deployment(job, deployment, info.context.principal.api_key_id)
    session.add(pending_reply(job, app_state(info).process_lease.key))
    return job


def _start(info: Info, job: ReplyJob) -> str:
    state = app_state(info)
    resources = Resources(state.db.sessionmaker, state.redis,
                          info.context.settings.chat_provider_timeout_seconds)
    state.generations.start(generate(resources, job), name=f"chat-reply:{job.reply_id}")
    return to_base64("ChatMessage", job.reply_id)


async def send_message(info: Info, input: SendMessageInput) -> SendMessagePayload:
    session_id = decode_global_id_of(input.session_id, ChatSessionNode, field="sessionId")
    parent_id = (None if input.parent_message_id is None else decode_global_id_of(
        input.parent_message_id, ChatMessageNode, field="parentMessageId"))

    async def body() -> SendMessagePayload:
        async with write(info) as tx:
            chat = await session_for_write(info, tx, session_id)
            model = await tx.session.get(AIModel, chat.model_id)
            parent, parent_problems = await _parent(tx.session, chat, parent_id)
            deployment, answer_problems = await _answerer(info, chat, model)
            problems = content_problems(input.content) + parent_problems + answer_problems
            if problems:
                raise InvalidInput(problems)
            assert model is not None
            tokens = estimate_tokens(input.content)
            message = ChatMessage(
                organization_id=chat.organization_id, session_id=chat.id, role="user",
                content=input.content, total_tokens=tokens, parent_message_id=parent,
                sequence_number=await next_sequence(tx.session, chat.id))
            tx.session.add(message)
            chat.message_count += 1
            chat.total_tokens += tokens
            chat.last_message_at = datetime.now(UTC)
            await tx.session.flush()
            job = await _reply_job(info, tx.session, chat, model, message.id, deployment)
            await tx.audit("chat_message.create", resource_type="ChatMessage",
                           resource_id=message.id, organization_id=chat.organization_id,
                           new={"session_id": chat.id, "sequence_number":
                                message.sequence_number, "parent_message_id": parent,
                                "reply_message_id": job.reply_id})
        reply_id = _start(info, job)
        node = await info.context.loaders.node(ChatMessageNode).load(message.id)
        return SendMessagePayload(message=node, reply_message_id=reply_id)

    return await mutation_payload(body, lambda e: SendMessagePayload(user_errors=e))


async def regenerate_message(info: Info, input: RegenerateMessageInput
                             ) -> RegenerateMessagePayload:
    message_id = decode_global_id_of(input.message_id, ChatMessageNode, field="messageId")

    async def body() -> RegenerateMessagePayload:
        async with write(info) as tx:
            target = await tx.session.get(ChatMessage, message_id)
            if target is None:
                raise NotFound("messageId: no such message", field="messageId")
            chat = await session_for_write(info, tx, target.session_id)
            model = await tx.session.get(AIModel, chat.model_id)
            prompt = target if target.role == "user" else None
            if target.role == "assistant" and target.parent_message_id is not None:
                parent = await tx.session.get(ChatMessage, target.parent_message_id)
                prompt = parent if parent is not None and parent.role == "user" else None
            deployment, problems = await _answerer(info, chat, model)
            if prompt is None:
                problems.insert(0, Problem("messageId", "Give a reply, or a user message, to "
                                           "answer again", Code.NOT_REGENERABLE))
            if problems:
                raise InvalidInput(problems)
            assert model is not None and prompt is not None
            job = await _reply_job(info, tx.session, chat, model, prompt.id, deployment)
            await tx.audit("chat_message.regenerate", resource_type="ChatMessage",
                           resource_id=prompt.id, organization_id=chat.organization_id,
                           new={"session_id": chat.id, "replaces": target.id
                                if target.role == "assistant" else None,
                                "reply_message_id": job.reply_id})
        reply_id = _start(info, job)
        node = await info.context.loaders.node(ChatMessageNode).load(prompt.id)
        return RegenerateMessagePayload(message=node, reply_message_id=reply_id)

    return await mutation_payload(body, lambda e: RegenerateMessagePayload(user_errors=e))
