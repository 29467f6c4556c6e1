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

When the connection to Redis is lost, events published meanwhile are lost with it, so no
local subscriber can know what it missed: every one of them is told (`Sink.lost`: a
`Subscription` raises `ServiceUnavailable`, code SERVICE_UNAVAILABLE, after the events it
already had) and its stream ends; the client subscribes again, and resubscribing replays
what a stream can replay (a chat's stored replies). The next subscription connects anew,
through the pool's breaker (services/redis_pool.py): while Redis is down, one connect per
second, the others refused at once. redis-py would reconnect and resubscribe on its own,
silently: `_BusConnection` turns that into the loss it is.

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
import redis.exceptions
from redis.asyncio import Redis
from redis.asyncio.client import PubSub as RedisPubSub
from redis.asyncio.connection import Connection

from services.availability import REDIS, ServiceUnavailable, outage_of
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


def data_processing_task_channel(task_id: uuid.UUID) -> str:
    return f"data_processing_task:{task_id}"


class Sink(Protocol):
    """What the reader hands a channel's events to: a subscriber's queue or a shared sink."""

    channel: str

    def offer(self, event: Any, sequence: int) -> bool:
        """Take the event without waiting; False drops this sink from the channel."""
        ...

    def lost(self, error: Exception) -> None:
        """The bus lost its connection: end the stream with `error` (no more events come)."""
        ...


SinkT = TypeVar("SinkT", bound=Sink)


class SlowSubscriber(Exception):
    """Raised in a subscriber that fell `queue_size` events behind; it was dropped."""


_DROPPED = object()


class _Lost:
    """The marker ending a subscriber's queue when the bus lost its connection."""

    def __init__(self, error: Exception) -> None:
        self.error = error


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

    def lost(self, error: Exception) -> None:
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # make room for the marker
        self.queue.put_nowait(_Lost(error))

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        event = await self.queue.get()
        if event is _DROPPED:
            raise SlowSubscriber(f"subscriber of {self.channel} fell behind and was dropped")
        if isinstance(event, _Lost):
            self.queue.put_nowait(event)  # (for whoever reads on)
            raise event.error
        return event


class _BusConnection(RedisPubSub):
    """redis-py's pub/sub connection, which must not resubscribe behind our back: after a
    reconnect, the events published while it was away are gone, and nobody would know."""

    async def on_connect(self, connection: Connection) -> None:  # (called on reconnects)
        raise redis.exceptions.ConnectionError("the pub/sub connection to Redis was lost")


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
                self._pubsub = _BusConnection(self._redis.connection_pool,
                                              ignore_subscribe_messages=True)
            if self._reader is None:
                self._reader = asyncio.create_task(self._read(), name="pubsub-reader")
            if channel not in self._local:
                try:
                    await self._pubsub.subscribe(channel)
                except Exception as error:  # Redis is down: so is every channel of this bus
                    await self._lose_all(error)
                    raise
                self._local[channel] = set()
                self._subscribed.set()
            self._local[channel].add(sub)
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
                    try:
                        await self._pubsub.unsubscribe(sub.channel)
                    except Exception as error:  # Redis went away under the reader
                        await self._lose_all(error)

    async def _read(self) -> None:
        while True:
            bus = self._pubsub
            if not self._local or bus is None or bus.connection is None:
                # nothing to read yet: no channel, or the first SUBSCRIBE still connecting
                # (redis-py refuses get_message until it has; that raced with `subscribe`)
                self._subscribed.clear()
                await self._subscribed.wait()
                continue
            try:
                message = await bus.get_message(timeout=1.0)
            except Exception as error:  # never the end of delivery for good
                PUBSUB_REDIS_ERRORS.inc()
                log.warning("pub/sub connection to Redis lost (%s): ending %d local "
                            "subscriptions", type(error).__name__,
                            sum(len(s) for s in self._local.values()))
                async with self._lock:
                    if self._pubsub is bus:
                        await self._lose_all(error)
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

    async def _lose_all(self, error: Exception) -> None:
        """The connection is gone (the lock is held): every local subscriber is told, and the
        next subscription connects anew."""
        bus, self._pubsub = self._pubsub, None
        outage = outage_of(error) or ServiceUnavailable(REDIS, error)
        sinks = [sink for sinks in self._local.values() for sink in sinks]
        self._local.clear()
        self._shared.clear()
        for sink in sinks:
            sink.lost(outage)
        if bus is not None:
            with contextlib.suppress(Exception):  # (its connection is broken)
                await bus.aclose()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(Exception):  # (Redis may be down at shutdown)
                await self._pubsub.aclose()
        self._local.clear()
        self._shared.clear()
