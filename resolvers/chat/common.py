"""What the chat mutations share: the session row to write to, sequence numbers, app state."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel, ChatMessage, ChatSession
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden
from resolvers.mutations import Transaction, require
from services.pubsub import PubSub


async def session_for_write(info: Info, tx: Transaction, session_id: uuid.UUID) -> ChatSession:
    """The live session, locked FOR UPDATE until the transaction ends (so sequence numbers
    stay unique), after checking the caller may write to it: `chat:write` in its
    organization, and it is the caller's own conversation."""
    chat = await tx.session.scalar(select(ChatSession).where(
        ChatSession.id == session_id, ChatSession.deleted_at.is_(None)).with_for_update())
    require(info, "chat:write", chat.organization_id if chat is not None else None)
    assert chat is not None  # require() raised NOT_FOUND otherwise
    principal = info.context.principal
    if chat.user_id != principal.user_id and not principal.is_superuser:
        raise Forbidden("Only the person who started this chat can change it or write in it",
                        permission="chat:write")
    return chat


async def next_sequence(session: AsyncSession, chat_id: uuid.UUID) -> int:
    """The next sequence number; call with the session row locked."""
    last = await session.scalar(select(func.max(ChatMessage.sequence_number)).where(
        ChatMessage.session_id == chat_id))
    return (last or 0) + 1


def is_chat_model(model: AIModel) -> bool:
    return model.model_type == "chat" or "chat" in (model.capabilities or [])


def model_unavailable(model: AIModel | None) -> str | None:
    """Why a reply cannot be generated with this model, or None."""
    if model is None or model.deleted_at is not None:
        return "The session's model was deleted"
    if model.status != "active":
        return f"The model {model.name!r} is {model.status}, not active"
    if not is_chat_model(model):
        return f"The model {model.name!r} is a {model.model_type} model, not a chat model"
    return None


def app_state(info: Info) -> Any:
    """The lifespan's resources (generation tasks, pub/sub) of the process serving `info`."""
    request = info.context.request
    assert request is not None, "chat mutations run inside a request or socket"
    return request.app.state


def pubsub_of(info: Info) -> PubSub:
    return info.context.pubsub or app_state(info).pubsub
