"""Chat sessions and messages as Relay nodes; relation fields only call loaders."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from db.loaders.chat import MESSAGES_BY_PARENT, MESSAGES_BY_SESSION
from graphql_schema.chat.enums import ChatRole, ChatSessionStatus
from graphql_schema.chat.inputs import ChatMessageFilter, ChatMessageOrder
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, TableNode, resolve_connection

if TYPE_CHECKING:
    from graphql_schema.ai_models.types import AiModel
    from graphql_schema.identity.types import Organization, User
    from graphql_schema.knowledge.types import KnowledgeCollection

IDENTITY = "graphql_schema.identity.types"
AI_MODELS = "graphql_schema.ai_models.types"
KNOWLEDGE = "graphql_schema.knowledge.types"
KNOWLEDGE_COLLECTION = "knowledge_collection_id"  # key of chat_sessions.config


@strawberry.type(description="A conversation of one user with one model.")
class ChatSession(TableNode):
    _table = "chat_sessions"
    _live_only = True
    _redacted = ("config",)

    id: relay.NodeID[uuid.UUID]
    title: str | None
    system_prompt: str | None
    config: JSON
    status: ChatSessionStatus
    message_count: int
    total_tokens: int
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.Private[uuid.UUID]
    model_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import User

        return await info.context.loaders.node(User).load(self.user_id)

    @strawberry.field
    async def model(self, info: Info) -> Annotated[AiModel, strawberry.lazy(AI_MODELS)] | None:
        from graphql_schema.ai_models.types import AiModel

        return await info.context.loaders.node(AiModel).load(self.model_id)

    @strawberry.field(description="The knowledge collection whose passages ground the replies.")
    async def knowledge_collection(
        self, info: Info
    ) -> Annotated[KnowledgeCollection, strawberry.lazy(KNOWLEDGE)] | None:
        from graphql_schema.knowledge.types import KnowledgeCollection

        key = self.config.get(KNOWLEDGE_COLLECTION) if isinstance(self.config, dict) else None
        return await info.context.loaders.load(KnowledgeCollection,
                                               uuid.UUID(key) if key else None)

    @strawberry.field
    async def organization(
        self, info: Info
    ) -> Annotated[Organization, strawberry.lazy(IDENTITY)] | None:
        from graphql_schema.identity.types import Organization

        return await info.context.loaders.node(Organization).load(self.organization_id)

    @strawberry.field(description="Messages of this session, oldest first by default.")
    async def messages(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ChatMessageFilter | None = None, order_by: ChatMessageOrder | None = None,
    ) -> Connection[ChatMessage]:
        return await resolve_connection(info, MESSAGES_BY_SESSION, ChatMessage, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)


@strawberry.type(description="One turn of a chat; branches share a parent.")
class ChatMessage(TableNode):
    _table = "chat_messages"

    id: relay.NodeID[uuid.UUID]
    role: ChatRole
    content: str
    content_type: str
    metadata: JSON
    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None
    sequence_number: int
    created_at: datetime
    organization_id: strawberry.Private[uuid.UUID]
    session_id: strawberry.Private[uuid.UUID]
    parent_message_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def session(self, info: Info) -> ChatSession | None:
        return await info.context.loaders.node(ChatSession).load(self.session_id)

    @strawberry.field(description="The message this one answers or branches from.")
    async def parent(self, info: Info) -> ChatMessage | None:
        return await info.context.loaders.load(ChatMessage, self.parent_message_id)

    @strawberry.field(description="Replies to this message; more than one is a branch.")
    async def children(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ChatMessageFilter | None = None, order_by: ChatMessageOrder | None = None,
    ) -> Connection[ChatMessage]:
        return await resolve_connection(info, MESSAGES_BY_PARENT, ChatMessage, self.id,
                                        PageArgs(first, after, last, before), filter, order_by)
