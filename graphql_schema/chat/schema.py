"""Root fields of the chat domain (wiring only)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import strawberry

from db.loaders.chat import CHAT_SESSIONS
from graphql_schema.chat.events import ChatMessageEvent
from graphql_schema.chat.inputs import (
    ArchiveChatSessionInput,
    ChatSessionFilter,
    ChatSessionOrder,
    CreateChatSessionInput,
    DeleteChatSessionInput,
    RegenerateMessageInput,
    SendMessageInput,
    UpdateChatSessionInput,
)
from graphql_schema.chat.payloads import (
    ArchiveChatSessionPayload,
    CreateChatSessionPayload,
    DeleteChatSessionPayload,
    RegenerateMessagePayload,
    SendMessagePayload,
    UpdateChatSessionPayload,
)
from graphql_schema.chat.types import ChatSession
from graphql_schema.context import Info
from graphql_schema.relations import connection
from resolvers.chat import messages, sessions, subscriptions


@strawberry.type
class ChatQuery:
    chat_sessions = connection(
        CHAT_SESSIONS, ChatSession, ChatSessionFilter, ChatSessionOrder,
        description="Chat sessions you may see.",
    )


@strawberry.type
class ChatMutation:
    @strawberry.mutation(description="Start a chat with a model.")
    async def create_chat_session(self, info: Info, input: CreateChatSessionInput
                                  ) -> CreateChatSessionPayload:
        return await sessions.create_chat_session(info, input)

    @strawberry.mutation(description="Change a chat's title, system prompt or settings.")
    async def update_chat_session(self, info: Info, input: UpdateChatSessionInput
                                  ) -> UpdateChatSessionPayload:
        return await sessions.update_chat_session(info, input)

    @strawberry.mutation(description="Archive a chat: still readable, takes no new messages.")
    async def archive_chat_session(self, info: Info, input: ArchiveChatSessionInput
                                   ) -> ArchiveChatSessionPayload:
        return await sessions.archive_chat_session(info, input)

    @strawberry.mutation(description="Delete a chat (soft: it disappears from every read).")
    async def delete_chat_session(self, info: Info, input: DeleteChatSessionInput
                                  ) -> DeleteChatSessionPayload:
        return await sessions.delete_chat_session(info, input)

    @strawberry.mutation(description="Send a message; the reply streams on `chatMessageStream` "
                                     "and is stored when complete.")
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        return await messages.send_message(info, input)

    @strawberry.mutation(description="Generate another reply to a message (a new branch), or "
                                     "retry one that failed.")
    async def regenerate_message(self, info: Info, input: RegenerateMessageInput
                                 ) -> RegenerateMessagePayload:
        return await messages.regenerate_message(info, input)


@strawberry.type
class ChatSubscription:
    @strawberry.subscription(description="A chat's replies as they stream. Stored replies after "
                                         "`afterSequence` (all when null) come first, as "
                                         "`ChatMessageCompleted`, then replies in progress.")
    async def chat_message_stream(
        self, info: Info, session_id: strawberry.ID, after_sequence: int | None = None,
    ) -> AsyncGenerator[ChatMessageEvent, None]:
        stream = subscriptions.chat_message_stream(info, session_id, after_sequence)
        async with contextlib.aclosing(stream):  # type: ignore[type-var]
            async for event in stream:
                yield event
