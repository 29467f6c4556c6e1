"""Events across processes through Redis pub/sub, fanned out locally through bounded queues.

Each process holds ONE Redis subscription per channel, however many local subscribers it
has (DESIGN.md §3); a reader task moves each message into every local subscriber's queue.
A subscriber whose queue is full is dropped (it receives `SlowSubscriber`), so a slow
websocket client never stalls the others. The last local subscriber to leave unsubscribes
from Redis, so nothing is left behind.

A subscriber may hand its place over to a shared sink of the channel (`hand_over`, used by
graphql_schema/fanout.py): the sink then receives each event once for all of its members.
Every event is numbered as it is dispatched, so a member knows which events it already had
from its own queue.

Channel names live here so publishers and subscribers cannot disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol, TypeVar

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import PubSub as RedisPubSub

from services.metrics import PUBSUB_DELIVERED, PUBSUB_DROPPED, PUBSUB_REDIS_ERRORS

log = logging.getLogger("aiplatform.pubsub")


def chat_channel(session_id: uuid.UUID) -> str:
    return f"chat:{session_id}"


def run_channel(run_id: uuid.UUID) -> str:
    return f"run:{run_id}"


def deployment_channel(deployment_id: uuid.UUID) -> str:
    return f"deployment:{deployment_id}"


def notifications_channel(user_id: uuid.UUID) -> str:
    return f"notifications:{user_id}"


def knowledge_document_channel(document_id: uuid.UUID) -> str:
    return f"knowledge_document:{document_id}"


def analysis_job_channel(job_id: uuid.UUID) -> str:
    return f"analysis_job:{job_id}"


class Sink(Protocol):
    """What the reader hands a channel's events to: a subscriber's queue or a shared sink."""

    channel: str

    def offer(self, event: Any, sequence: int) -> bool:
        """Take the event without waiting; False drops this sink from the channel."""
        ...


SinkT = TypeVar("SinkT", bound=Sink)


class SlowSubscriber(Exception):
    """Raised in a subscriber that fell `queue_size` events behind; it was dropped."""


_DROPPED = object()


class Subscription:
    """One local subscriber: an async iterator over the channel's events."""

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=queue_size)

    def offer(self, event: Any, sequence: int = 0) -> bool:
        """Queue an event without waiting; False (and a drop marker) when full."""
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # make room for the marker
            self.queue.put_nowait(_DROPPED)
            return False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        event = await self.queue.get()
        if event is _DROPPED:
            raise SlowSubscriber(f"subscriber of {self.channel} fell behind and was dropped")
        return event


class PubSub:
    """The process's event bus; created and closed by the app lifespan."""

    def __init__(self, redis: Redis, *, queue_size: int = 1024) -> None:
        self._redis = redis
        self._queue_size = queue_size
        self._pubsub: RedisPubSub | None = None
        self._local: dict[str, set[Sink]] = {}
        self._shared: dict[str, Sink] = {}  # per channel: the sink members were handed over to
        self._sequence = 0  # number of the last event dispatched
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def publish(self, channel: str, event: dict[str, Any]) -> None:
        await self._redis.publish(channel, orjson.dumps(event))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Events published on `channel` from now on, until the block exits."""
        sub = Subscription(channel, self._queue_size)
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                self._reader = asyncio.create_task(self._read(), name="pubsub-reader")
            subscribers = self._local.setdefault(channel, set())
            if not subscribers:
                await self._pubsub.subscribe(channel)
                self._subscribed.set()
            subscribers.add(sub)
        try:
            yield sub
        finally:
            await asyncio.shield(self._leave(sub))

    def shared_sink(self, channel: str) -> Sink | None:
        """The sink subscribers of `channel` were handed over to, if any."""
        return self._shared.get(channel)

    def hand_over(self, sub: Subscription, make_sink: Callable[[], SinkT]) -> tuple[SinkT, int]:
        """Let the channel's shared sink (made by `make_sink` if there is none yet) receive the
        events `sub` would, from now on. The caller has emptied `sub`'s queue; nothing awaits
        here, so no event falls between the two. Returns the sink and the number of the last
        event dispatched: every later one reaches the sink, none of the earlier ones is new.
        `sub` still holds the Redis subscription until its block exits (the sink holds it too)."""
        sink = self._shared.get(sub.channel)
        if sink is None:
            sink = self._shared[sub.channel] = make_sink()
        subscribers = self._local[sub.channel]  # sub's block is open: the channel is there
        subscribers.add(sink)
        subscribers.discard(sub)
        return sink, self._sequence  # type: ignore[return-value]

    async def release(self, sink: Sink) -> None:
        """A shared sink without members leaves its channel (the last one unsubscribes)."""
        if self._shared.get(sink.channel) is sink:
            del self._shared[sink.channel]
        await asyncio.shield(self._leave(sink))

    async def _leave(self, sub: Sink) -> None:
        async with self._lock:
            subscribers = self._local.get(sub.channel)
            if subscribers is None:
                return
            subscribers.discard(sub)
            if not subscribers:
                del self._local[sub.channel]
                if self._pubsub is not None:
                    await self._pubsub.unsubscribe(sub.channel)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            if not self._local or self._pubsub.connection is None:
                # nothing to read yet: no channel, or the first SUBSCRIBE still connecting
                # (redis-py refuses get_message until it has; that raced with `subscribe`)
                self._subscribed.clear()
                await self._subscribed.wait()
                continue
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:  # a broken connection must not end delivery for good
                PUBSUB_REDIS_ERRORS.inc()
                log.exception("pub/sub read failed; resubscribing")
                await self._resubscribe()
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            channel = channel.decode() if isinstance(channel, bytes) else channel
            event = orjson.loads(message["data"])
            self._sequence += 1
            for sub in list(self._local.get(channel, ())):
                if sub.offer(event, self._sequence):
                    PUBSUB_DELIVERED.inc()
                else:
                    self._local[channel].discard(sub)
                    PUBSUB_DROPPED.inc()
                    log.warning("dropped a slow subscriber of %s", channel)

    async def _resubscribe(self) -> None:
        async with self._lock:
            if self._pubsub is not None:
                with contextlib.suppress(Exception):
                    await self._pubsub.aclose()
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            if self._local:
                await self._pubsub.subscribe(*self._local)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()
        self._local.clear()
        self._shared.clear()
