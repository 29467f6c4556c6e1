"""Factories of the chat domain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel, ChatMessage, ChatSession, User


async def make_chat_session(
    session: AsyncSession, *, user: User, model: AIModel, title: str = "A chat",
    status: str = "active",
) -> ChatSession:
    chat = ChatSession(organization_id=model.organization_id, user_id=user.id, model_id=model.id,
                       title=title, status=status)
    session.add(chat)
    await session.flush()
    return chat


async def make_messages(
    session: AsyncSession, *, chat: ChatSession, count: int, start: int = 1,
) -> list[ChatMessage]:
    """`count` alternating user/assistant messages, each the child of the previous one."""
    messages: list[ChatMessage] = []
    parent = None
    for i in range(start, start + count):
        msg = ChatMessage(organization_id=chat.organization_id, session_id=chat.id,
                          role="user" if i % 2 else "assistant", content=f"message {i}",
                          sequence_number=i, parent_message_id=parent)
        session.add(msg)
        await session.flush()
        parent = msg.id
        messages.append(msg)
    return messages
