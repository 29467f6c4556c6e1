"""Chat: a user's conversations with a model and their messages.

`message_count`/`total_tokens` are kept on the session so lists never aggregate messages;
`sequence_number` orders a session's messages and is unique in it, and `parent_message_id`
lets an edited prompt start a branch without rewriting history.

A chat on a deployment keeps the deployment it was started on (`deployment_id`, cleared if
that row is deleted) and its route, the deployment's name and environment at that time: each
reply goes to the running member of that name's traffic split in that environment, as a
gateway call naming it would (resolvers/chat/deployments.py). `model_id` is the started
deployment's model, so a chat always has one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, SoftDelete, Timestamps, UUIDPk
from db.models.identity import fk, ix, jsonb_object, one_of, org_listing, organization_fk
from db.search_text import searchable

SESSION_STATUSES = ("active", "archived")
MESSAGE_ROLES = ("user", "assistant", "system", "tool")


class ChatSession(UUIDPk, Timestamps, SoftDelete, Base):
    __tablename__ = "chat_sessions"
    __table_args__ = (
        one_of("status", SESSION_STATUSES),
        org_listing("chat_sessions"),
        ix("chat_sessions", "user_id", "id"),
        ix("chat_sessions", "created_at"),
        CheckConstraint("(deployment_name IS NULL) = (deployment_environment IS NULL)",
                        name="deployment_route"),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE", index=False)
    model_id: Mapped[uuid.UUID] = fk("ai_models.id")
    title: Mapped[str | None] = mapped_column(String(255))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = jsonb_object()
    status: Mapped[str] = mapped_column(String(20), index=True, server_default="active")
    message_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total_tokens: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # a chat on a deployment: the one it started on, and the route its replies take
    deployment_id: Mapped[uuid.UUID | None] = fk("deployments.id", ondelete="SET NULL",
                                                 nullable=True)
    deployment_name: Mapped[str | None] = mapped_column(String(200))
    deployment_environment: Mapped[str | None] = mapped_column(String(50))


class ChatMessage(searchable("content"), UUIDPk, Timestamps, Base):
    """One turn. (session_id, sequence_number) is unique and serves the per-session reads."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("session_id", "sequence_number"),
        one_of("role", MESSAGE_ROLES),
        ix("chat_messages", "created_at"),
        ix("chat_messages", "search_vector", postgresql_using="gin"),
        Index("ix_chat_messages_content_trgm", "content", postgresql_using="gin",
              postgresql_ops={"content": "gin_trgm_ops"}),
    )

    organization_id: Mapped[uuid.UUID] = organization_fk()
    session_id: Mapped[uuid.UUID] = fk("chat_sessions.id", ondelete="CASCADE", index=False)
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(50), server_default="text")
    metadata_: Mapped[dict[str, Any]] = jsonb_object("metadata")
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    total_tokens: Mapped[int | None] = mapped_column(Integer)
    sequence_number: Mapped[int] = mapped_column(Integer)
    parent_message_id: Mapped[uuid.UUID | None] = fk(
        "chat_messages.id", ondelete="SET NULL", nullable=True
    )


class ChatPendingReply(UUIDPk, CreatedAt, Base):
    """A reply being generated, from the transaction that asked for it until the one that
    stores it (or its failure). `holder` names the server process generating it by the
    advisory lock that process holds (services/process_lease.py): a row whose holder's lock
    is gone belongs to a dead process, and is ended as failed by whoever sees it first
    (services/orphaned_replies.py). The id is the reply message's own."""

    __tablename__ = "chat_pending_replies"

    organization_id: Mapped[uuid.UUID] = organization_fk()
    session_id: Mapped[uuid.UUID] = fk("chat_sessions.id", ondelete="CASCADE")
    user_id: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True,
                                           index=False)
    model_id: Mapped[uuid.UUID] = fk("ai_models.id", ondelete="CASCADE", index=False)
    parent_message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    # a chat on a deployment: the deployment answering, the API key the request came with
    deployment_id: Mapped[uuid.UUID | None] = fk("deployments.id", ondelete="SET NULL",
                                                 nullable=True, index=False)
    api_key_id: Mapped[uuid.UUID | None] = fk("api_keys.id", ondelete="SET NULL",
                                              nullable=True, index=False)
    holder: Mapped[int] = mapped_column(BigInteger)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    prompt_cost: Mapped[Decimal] = mapped_column(Numeric(12, 6))
