"""Factories of the chat domain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel, ChatMessage, ChatSession, Deployment, User


async def make_chat_session(
    session: AsyncSession, *, user: User, model: AIModel, title: str = "A chat",
    status: str = "active", system_prompt: str | None = None, config: dict | None = None,
    deployment: Deployment | None = None,
) -> ChatSession:
    """A chat with `model`; with `deployment` (one of that model's versions), a chat on it."""
    chat = ChatSession(organization_id=model.organization_id, user_id=user.id, model_id=model.id,
                       title=title, status=status, system_prompt=system_prompt,
                       config=config or {})
    if deployment is not None:
        chat.deployment_id = deployment.id
        chat.deployment_name, chat.deployment_environment = deployment.name, deployment.environment
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


async def make_message(
    session: AsyncSession, *, chat: ChatSession, role: str, content: str, sequence_number: int,
    parent: ChatMessage | None = None,
) -> ChatMessage:
    msg = ChatMessage(organization_id=chat.organization_id, session_id=chat.id, role=role,
                      content=content, sequence_number=sequence_number,
                      parent_message_id=parent.id if parent is not None else None)
    session.add(msg)
    await session.flush()
    return msg
