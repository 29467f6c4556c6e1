"""Inputs of the chat domain: filters and orders of the read side, and mutation inputs."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.chat.enums import ChatRole, ChatSessionStatus
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Chat sessions matching all given conditions.")
class ChatSessionFilter:
    organization_id: strawberry.ID | None = None
    model_id: strawberry.ID | None = None
    status: ChatSessionStatus | None = None
    title_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ChatSessionOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")
    UPDATED_AT = ("updated_at", "id")


@strawberry.input
class ChatSessionOrder:
    field: ChatSessionOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Chat messages matching all given conditions.")
class ChatMessageFilter:
    role: ChatRole | None = None
    role_in: list[ChatRole] | None = None
    content_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class ChatMessageOrderField(Enum):
    SEQUENCE_NUMBER = ("sequence_number", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class ChatMessageOrder:
    field: ChatMessageOrderField
    direction: OrderDirection = OrderDirection.ASC


KNOWLEDGE_HELP = ("A knowledge collection of the same organization: each reply is grounded on "
                  "its passages closest to your message.")
CONFIG_HELP = ("A JSON object with any of: temperature (0 to 2), max_tokens (1 to the model's "
               "context window), top_p (0 to 1), stop (1 to 4 strings).")


@strawberry.input(description="A new chat of yours with a model or a deployment: give "
                              "exactly one of `modelId` and `deploymentId` (needs chat:write "
                              "in its organization).")
class CreateChatSessionInput:
    model_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active chat model: replies come from it directly.")
    deployment_id: strawberry.ID | None = strawberry.field(
        default=None, description="A deployment of a chat model version: each reply goes "
                                  "through the gateway's routing (the running member of the "
                                  "deployment's name and environment, sticky per chat) and "
                                  "counts against the organization's monthly token budget.")
    title: str | None = strawberry.field(default=None, description="Up to 255 characters.")
    system_prompt: str | None = strawberry.field(default=None,
                                                 description="Up to 32,000 characters.")
    config: JSON | None = strawberry.field(default=None, description=CONFIG_HELP)
    knowledge_collection_id: strawberry.ID | None = strawberry.field(
        default=None, description=KNOWLEDGE_HELP)


@strawberry.input(description="Only the fields you pass change; null clears the title, the "
                              "system prompt or the knowledge collection.")
class UpdateChatSessionInput:
    id: strawberry.ID
    title: Maybe[str | None]
    system_prompt: Maybe[str | None]
    config: Maybe[JSON] = strawberry.field(description=CONFIG_HELP + " Replaces the old one.")
    knowledge_collection_id: Maybe[strawberry.ID | None] = strawberry.field(
        description=KNOWLEDGE_HELP)


@strawberry.input
class ArchiveChatSessionInput:
    id: strawberry.ID


@strawberry.input
class DeleteChatSessionInput:
    id: strawberry.ID


@strawberry.input(description="A message of yours; the model's reply is then generated in the "
                              "background and streamed by `chatMessageStream`.")
class SendMessageInput:
    session_id: strawberry.ID
    content: str = strawberry.field(description="1 to 32,000 characters.")
    parent_message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The message this one follows; the session's latest message "
                                  "when omitted. An earlier one starts a branch.")


@strawberry.input(description="Answer a message again: a new reply next to the old one.")
class RegenerateMessageInput:
    message_id: strawberry.ID = strawberry.field(
        description="A reply to replace (the new one becomes a sibling), or a user message "
                    "whose reply failed.")
