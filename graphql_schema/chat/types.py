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
from graphql_schema.relations import connection, lazy, to_one
from graphql_schema.relay import TableNode

if TYPE_CHECKING:
    from graphql_schema.knowledge.types import KnowledgeCollection

IDENTITY = "graphql_schema.identity.types"
AI_MODELS = "graphql_schema.ai_models.types"
KNOWLEDGE = "graphql_schema.knowledge.types"
DEPLOYMENTS = "graphql_schema.deployments.types"
KNOWLEDGE_COLLECTION = "knowledge_collection_id"  # key of chat_sessions.config


@strawberry.type(description="A conversation of one user with one model, or with a "
                             "deployment's traffic split.")
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
    deployment_id: strawberry.Private[uuid.UUID | None]

    user = to_one(lazy("User", IDENTITY), "user_id")

    model = to_one(lazy("AiModel", AI_MODELS), "model_id", description=(
        "The model the chat answers with; for a chat on a deployment, the model of the "
        "deployment it started on (a reply's `metadata` says which deployment answered it)."))

    deployment = to_one(lazy("Deployment", DEPLOYMENTS), "deployment_id", description=(
        "The deployment the chat started on; null for a chat with a model, or once that "
        "deployment was deleted. Replies go to the running member of its name's traffic "
        "split in its environment, as gateway calls do."))

    @strawberry.field(description="The knowledge collection whose passages ground the replies.")
    async def knowledge_collection(
        self, info: Info
    ) -> Annotated[KnowledgeCollection, strawberry.lazy(KNOWLEDGE)] | None:
        from graphql_schema.knowledge.types import KnowledgeCollection

        key = self.config.get(KNOWLEDGE_COLLECTION) if isinstance(self.config, dict) else None
        return await info.context.loaders.load(KnowledgeCollection,
                                               uuid.UUID(key) if key else None)

    organization = to_one(lazy("Organization", IDENTITY), "organization_id")

    messages = connection(
        MESSAGES_BY_SESSION, lazy("ChatMessage", __name__), ChatMessageFilter, ChatMessageOrder,
        description="Messages of this session, oldest first by default.",
    )


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

    session = to_one(ChatSession, "session_id")

    parent = to_one(
        lazy("ChatMessage", __name__), "parent_message_id",
        description="The message this one answers or branches from.",
    )

    children = connection(
        MESSAGES_BY_PARENT, lazy("ChatMessage", __name__), ChatMessageFilter, ChatMessageOrder,
        description="Replies to this message; more than one is a branch.",
    )
