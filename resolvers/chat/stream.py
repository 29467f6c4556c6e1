"""The wire format of a session's reply stream in Redis, and what a late subscriber replays.

Channel `chat:{session_id}` (services/pubsub.py) carries one JSON event per step of a reply:
`started`, `delta` (with its `index`), then `completed` (the stored row) or `failed`. While a
reply streams, its pieces are also kept in a Redis list `chat:{session_id}:reply:{message_id}`
(a header, then the pieces) named in the set `chat:{session_id}:replies`. Each piece is
appended and published in ONE transaction (MULTI), so a subscriber that reads the list after
subscribing knows exactly which live deltas it already has: those with `index` below the
list's length. The list goes away, in the same transaction, when the reply ends.
"""

from __future__ import annotations

import time
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
from services.pubsub import chat_channel

PENDING_TTL = 3600  # a reply whose process died stops being replayed after this long
_UUID_COLUMNS = ("id", "organization_id", "session_id", "parent_message_id")


def replies_key(session_id: uuid.UUID) -> str:
    return f"{chat_channel(session_id)}:replies"


def reply_key(session_id: uuid.UUID, message_id: uuid.UUID) -> str:
    return f"{chat_channel(session_id)}:reply:{message_id}"


def message_gid(message_id: uuid.UUID | str | None) -> str | None:
    return None if message_id is None else to_base64("ChatMessage", message_id)


# -- publishing (the generation task) -------------------------------------------------------


async def publish_started(redis: Redis, session_id: uuid.UUID, message_id: uuid.UUID,
                          parent_id: uuid.UUID) -> None:
    event = {"type": "started", "messageId": str(message_id), "parentMessageId": str(parent_id),
             "at": time.time()}
    key = reply_key(session_id, message_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.rpush(key, orjson.dumps(event))
        pipe.expire(key, PENDING_TTL)
        pipe.sadd(replies_key(session_id), str(message_id))
        pipe.expire(replies_key(session_id), PENDING_TTL)
        pipe.publish(chat_channel(session_id), orjson.dumps(event))
        await pipe.execute()


async def publish_delta(redis: Redis, session_id: uuid.UUID, message_id: uuid.UUID,
                        index: int, delta: str) -> None:
    event = {"type": "delta", "messageId": str(message_id), "index": index, "delta": delta}
    key = reply_key(session_id, message_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, delta)
        pipe.expire(key, PENDING_TTL)
        pipe.publish(chat_channel(session_id), orjson.dumps(event))
        await pipe.execute()


async def publish_end(redis: Redis, session_id: uuid.UUID, message_id: uuid.UUID,
                      event: dict[str, Any]) -> None:
    """`completed` or `failed`; the reply is no longer pending."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(reply_key(session_id, message_id))
        pipe.srem(replies_key(session_id), str(message_id))
        pipe.publish(chat_channel(session_id), orjson.dumps(event))
        await pipe.execute()


def completed_event(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "completed", "message": {k: _jsonable(v) for k, v in message.items()}}


def failed_event(message_id: uuid.UUID, error: str) -> dict[str, Any]:
    return {"type": "failed", "messageId": str(message_id), "error": error}


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# -- subscribing ------------------------------------------------------------------------------


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
