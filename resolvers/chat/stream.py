"""What a subscriber to a session's reply stream replays and receives, as GraphQL events.

The wire format, and its publishing by the generating task, is services/chat_stream.py: a
subscriber reads the replies pending in Redis (their list of pieces), then turns live events
into GraphQL events once each, whatever mix of replay and live delivery brings them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from strawberry.relay import to_base64

from graphql_schema.chat.events import (
    ChatMessageCompleted,
    ChatMessageEvent,
    ChatMessageFailed,
    ChatMessageStarted,
    ChatTokenDelta,
)
from graphql_schema.chat.types import ChatMessage
from services.chat_stream import replies_key, reply_key

_UUID_COLUMNS = ("id", "organization_id", "session_id", "parent_message_id")


def message_gid(message_id: uuid.UUID | str | None) -> str | None:
    return None if message_id is None else to_base64("ChatMessage", message_id)


@dataclass(frozen=True, slots=True)
class PendingReply:
    message_id: str
    parent_message_id: str | None
    pieces: list[str]


async def pending_replies(redis: Redis, session_id: uuid.UUID) -> list[PendingReply]:
    """Replies streaming right now, with the pieces published so far, oldest first."""
    out: list[tuple[float, PendingReply]] = []
    for member in await redis.smembers(replies_key(session_id)):
        message_id = member.decode() if isinstance(member, bytes) else member
        stored = await redis.lrange(reply_key(session_id, uuid.UUID(message_id)), 0, -1)
        if not stored:
            continue  # ended (or its process died and the list expired)
        header = orjson.loads(stored[0])
        out.append((header.get("at", 0), PendingReply(
            message_id, header.get("parentMessageId"), [p.decode() for p in stored[1:]])))
    return [reply for _, reply in sorted(out, key=lambda pair: pair[0])]


def message_node(payload: dict[str, Any]) -> ChatMessage:
    values = dict(payload)
    for column in _UUID_COLUMNS:
        if values.get(column) is not None:
            values[column] = uuid.UUID(values[column])
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    return ChatMessage.from_record(tuple(values[c] for c in ChatMessage.columns()))


class StreamState:
    """Turns raw events into GraphQL events, once each, whatever mix of replay and live
    delivery they arrive through."""

    def __init__(self) -> None:
        self.started: set[str] = set()
        self.finished: set[str] = set()
        self.next_index: dict[str, int] = {}

    def stored(self, node: ChatMessage) -> ChatMessageEvent:
        self.finished.add(str(node.id))
        return ChatMessageCompleted(message=node)

    def pending(self, reply: PendingReply) -> list[ChatMessageEvent]:
        if reply.message_id in self.finished:
            return []
        self.started.add(reply.message_id)
        self.next_index[reply.message_id] = len(reply.pieces)
        gid = message_gid(reply.message_id)
        events: list[ChatMessageEvent] = [ChatMessageStarted(
            message_id=gid, parent_message_id=message_gid(reply.parent_message_id))]
        events += [ChatTokenDelta(message_id=gid, index=i, delta=piece)
                   for i, piece in enumerate(reply.pieces)]
        return events

    def live(self, event: dict[str, Any]) -> ChatMessageEvent | None:
        kind = event.get("type")
        if kind == "completed":
            message_id = event["message"]["id"]
        elif kind in ("started", "delta", "failed"):
            message_id = event["messageId"]
        else:
            return None  # sync markers and kinds of later versions
        if message_id in self.finished:
            return None
        if kind == "started":
            if message_id in self.started:
                return None
            self.started.add(message_id)
            self.next_index[message_id] = 0
            return ChatMessageStarted(message_id=message_gid(message_id),
                                      parent_message_id=message_gid(event["parentMessageId"]))
        if kind == "delta":
            # pieces of a reply that began before this subscriber joined are left out: its
            # `completed` event still brings the whole content
            if message_id not in self.started or event["index"] < self.next_index[message_id]:
                return None
            self.next_index[message_id] = event["index"] + 1
            return ChatTokenDelta(message_id=message_gid(message_id), index=event["index"],
                                  delta=event["delta"])
        self.finished.add(message_id)
        if kind == "completed":
            return ChatMessageCompleted(message=message_node(event["message"]))
        return ChatMessageFailed(message_id=message_gid(message_id), error=event["error"])
