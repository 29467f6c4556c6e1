"""Payloads of the chat mutations: the result and `userErrors`, and the error codes."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.chat.types import ChatMessage, ChatSession
from graphql_schema.errors import UserError


class ChatErrorCode(StrEnum):
    """`userErrors[].code` values of the chat mutations."""

    INVALID = "INVALID"
    INVALID_CONTENT = "INVALID_CONTENT"
    INVALID_CONFIG = "INVALID_CONFIG"
    INVALID_PARENT = "INVALID_PARENT"
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE"
    SESSION_ARCHIVED = "SESSION_ARCHIVED"
    NOT_REGENERABLE = "NOT_REGENERABLE"
    DEPLOYMENT_NOT_RUNNING = "DEPLOYMENT_NOT_RUNNING"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"


REPLY_ID_HELP = ("The global ID the reply will have once stored; its `ChatMessageStarted`, "
                 "`ChatTokenDelta` and `ChatMessageFailed` events carry it.")


@strawberry.type(description="Codes: INVALID (title, system prompt, not exactly one of modelId "
                             "and deploymentId), INVALID_CONFIG, MODEL_UNAVAILABLE.")
class CreateChatSessionPayload:
    chat_session: ChatSession | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID (title, system prompt), INVALID_CONFIG.")
class UpdateChatSessionPayload:
    chat_session: ChatSession | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ArchiveChatSessionPayload:
    chat_session: ChatSession | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteChatSessionPayload:
    deleted_chat_session_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: INVALID_CONTENT, INVALID_PARENT, SESSION_ARCHIVED, "
                             "MODEL_UNAVAILABLE; for a chat on a deployment, "
                             "DEPLOYMENT_NOT_RUNNING and BUDGET_EXCEEDED.")
class SendMessagePayload:
    message: ChatMessage | None = strawberry.field(default=None,
                                                   description="Your message, as stored.")
    reply_message_id: strawberry.ID | None = strawberry.field(default=None,
                                                              description=REPLY_ID_HELP)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Codes: NOT_REGENERABLE, SESSION_ARCHIVED, MODEL_UNAVAILABLE; "
                             "for a chat on a deployment, DEPLOYMENT_NOT_RUNNING and "
                             "BUDGET_EXCEEDED.")
class RegenerateMessagePayload:
    message: ChatMessage | None = strawberry.field(
        default=None, description="The user message being answered again.")
    reply_message_id: strawberry.ID | None = strawberry.field(default=None,
                                                              description=REPLY_ID_HELP)
    user_errors: list[UserError] = strawberry.field(default_factory=list)
