"""The wire format of a session's reply stream in Redis: what the generating task publishes.

Channel `chat:{session_id}` (services/pubsub.py) carries one JSON event per step of a reply:
`started`, `delta` (with its `index`), then `completed` (the stored row) or `failed`. While a
reply streams, its pieces are also kept in a Redis list `chat:{session_id}:reply:{message_id}`
(a header, then the pieces) named in the set `chat:{session_id}:replies`. Each piece is
appended and published in ONE transaction (MULTI), so a subscriber that reads the list after
subscribing knows exactly which live deltas it already has: those with `index` below the
list's length. The list goes away, in the same transaction, when the reply ends.

Here in services/ because a reply is ended from outside a request too: a worker ending the
replies of a process that was killed (services/orphaned_replies.py). The subscribing side is
resolvers/chat/stream.py.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

import orjson
from redis.asyncio import Redis

from services.pubsub import chat_channel

PENDING_TTL = 3600  # a reply whose process died stops being replayed after this long


def replies_key(session_id: uuid.UUID) -> str:
    return f"{chat_channel(session_id)}:replies"


def reply_key(session_id: uuid.UUID, message_id: uuid.UUID) -> str:
    return f"{chat_channel(session_id)}:reply:{message_id}"


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
