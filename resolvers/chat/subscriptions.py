"""chatMessageStream: a session's replies, live, after a replay of what the client missed.

Order of work, so that nothing falls between replay and live delivery: subscribe to the
session's channel and wait until Redis confirms it (a marker published to the channel comes
back), THEN read the stored replies after `afterSequence` and the replies streaming right now.
Events that arrive meanwhile are kept and deduplicated by `StreamState`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError

from graphql_schema.chat.events import ChatMessageEvent
from graphql_schema.chat.types import ChatMessage, ChatSession
from graphql_schema.context import Info, Loaders
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from resolvers.chat.common import pubsub_of
from resolvers.chat.stream import StreamState, pending_replies
from services.pubsub import PubSub, SlowSubscriber, Subscription, chat_channel

SYNC_TIMEOUT = 5.0
STORED_SQL = (f"SELECT {', '.join(ChatMessage.columns())} FROM chat_messages "
              "WHERE session_id = $1 AND role = 'assistant' AND sequence_number > $2 "
              "ORDER BY sequence_number")


async def chat_message_stream(info: Info, session_id: str, after_sequence: int | None
                              ) -> AsyncIterator[ChatMessageEvent]:
    chat_id = decode_global_id_of(session_id, ChatSession, field="sessionId")
    # fresh loaders: a socket's own ones cache for the socket's whole life
    if await Loaders(info.context.db, info.context.principal).node(ChatSession).load(
            chat_id) is None:
        raise NotFound("sessionId: no such chat session", field="sessionId")
    pubsub = pubsub_of(info)
    async with pubsub.subscribe(chat_channel(chat_id)) as sub:
        early = await _confirmed(pubsub, sub, chat_id)
        state = StreamState()
        for record in await info.context.db.fetch(STORED_SQL, chat_id, after_sequence or 0):
            yield state.stored(ChatMessage.from_record(record))
        for reply in await pending_replies(info.context.redis, chat_id):
            for event in state.pending(reply):
                yield event
        for raw in early:
            if (event := state.live(raw)) is not None:
                yield event
        try:
            async for raw in sub:
                if (event := state.live(raw)) is not None:
                    yield event
        except SlowSubscriber:
            raise GraphQLError("You fell behind this chat's stream: subscribe again with "
                               "afterSequence set to the last reply you have",
                               extensions={"code": "SLOW_SUBSCRIBER"}) from None


async def _confirmed(pubsub: PubSub, sub: Subscription, chat_id: uuid.UUID
                     ) -> list[dict[str, Any]]:
    """Wait until our own marker comes back through the subscription: Redis then delivers
    everything published from now on. Returns the events that came before the marker."""
    nonce = uuid.uuid4().hex
    await pubsub.publish(chat_channel(chat_id), {"type": "sync", "nonce": nonce})
    early: list[dict[str, Any]] = []

    async def until_marker() -> None:
        async for raw in sub:
            if raw.get("type") == "sync" and raw.get("nonce") == nonce:
                return
            early.append(raw)

    try:
        await asyncio.wait_for(until_marker(), SYNC_TIMEOUT)
    except TimeoutError:
        pass  # a slow Redis: go on; the replay still covers what is stored
    return early
