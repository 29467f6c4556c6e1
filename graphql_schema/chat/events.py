"""Events of `chatMessageStream`: a reply starts, grows by deltas, then completes or fails.

Message IDs are global IDs of `ChatMessage`: the reply's ID is chosen before it streams, so a
client can match deltas to the `message` of `ChatMessageCompleted`.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_schema.chat.types import ChatMessage


@strawberry.type(description="A reply is being generated.")
class ChatMessageStarted:
    message_id: strawberry.ID
    parent_message_id: strawberry.ID | None = strawberry.field(
        description="The user message it answers.")


@strawberry.type(description="The next piece of a reply; concatenated in `index` order they "
                             "are its content.")
class ChatTokenDelta:
    message_id: strawberry.ID
    index: int = strawberry.field(description="Position of this piece in the reply, from 0.")
    delta: str


@strawberry.type(description="A reply as stored, with its token counts.")
class ChatMessageCompleted:
    message: ChatMessage


@strawberry.type(description="A reply could not be produced; the user's message stays stored "
                             "and `regenerateMessage` can retry.")
class ChatMessageFailed:
    message_id: strawberry.ID
    error: str


ChatMessageEvent = Annotated[
    ChatMessageStarted | ChatTokenDelta | ChatMessageCompleted | ChatMessageFailed,
    strawberry.union("ChatMessageEvent"),
]
