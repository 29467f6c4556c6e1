"""Root fields of the chat domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.chat import CHAT_SESSIONS
from graphql_schema.chat.inputs import ChatSessionFilter, ChatSessionOrder
from graphql_schema.chat.types import ChatSession
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class ChatQuery:
    @strawberry.field(description="Chat sessions you may see.")
    async def chat_sessions(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ChatSessionFilter | None = None, order_by: ChatSessionOrder | None = None,
    ) -> Connection[ChatSession]:
        return await resolve_connection(info, CHAT_SESSIONS, ChatSession, None,
                                        PageArgs(first, after, last, before), filter, order_by)
