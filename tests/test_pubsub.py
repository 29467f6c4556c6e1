"""Redis fan-out: one Redis subscription per channel per process, bounded local queues."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from redis.asyncio import Redis

from app.embedded import EmbeddedServices
from services.availability import REDIS, ServiceUnavailable, outage_of
from services.pubsub import PubSub, SlowSubscriber


async def numsub(redis: Redis, channel: str) -> int:
    return dict(await redis.pubsub_numsub(channel))[channel.encode()]


async def settled_numsub(redis: Redis, channel: str, expected: int) -> int:
    """NUMSUB once Redis has reached `expected`, else what it says after 5 s. The bus sends
    (UN)SUBSCRIBE on its own connection without waiting for Redis to confirm, and Redis may
    serve a NUMSUB from this other connection first (it failed a CI run once)."""
    async def reached() -> None:
        # the condition lives in Redis, no event here can tell it: ask until it holds
        while await numsub(redis, channel) != expected:  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(reached(), timeout=5)
    return await numsub(redis, channel)


async def take(sub, n: int) -> list[dict]:
    out = []
    async for event in sub:
        out.append(event)
        if len(out) == n:
            return out
    return out


async def test_two_processes_receive_every_event_in_order(redis_url) -> None:
    # given two buses, as two server processes would have, each with two local subscribers
    redis_1, redis_2 = Redis.from_url(redis_url), Redis.from_url(redis_url)
    bus_1, bus_2 = PubSub(redis_1), PubSub(redis_2)
    try:
        async with bus_1.subscribe("run:x") as a, bus_1.subscribe("run:x") as b, \
                bus_2.subscribe("run:x") as c, bus_2.subscribe("run:x") as d:
            # then each process holds a single Redis subscription for the channel
            assert await settled_numsub(redis_1, "run:x", 2) == 2

            # when one process publishes 100 events
            readers = [asyncio.create_task(take(s, 100)) for s in (a, b, c, d)]
            for i in range(100):
                await bus_1.publish("run:x", {"step": i})
            received = await asyncio.wait_for(asyncio.gather(*readers), timeout=10)

        # then all four subscribers got all of them, in order
        assert all(r == [{"step": i} for i in range(100)] for r in received)
        # and leaving released every Redis subscription
        assert await settled_numsub(redis_1, "run:x", 0) == 0
    finally:
        await bus_1.close()
        await bus_2.close()
        await redis_1.aclose()
        await redis_2.aclose()


async def test_a_slow_subscriber_is_dropped_and_does_not_stall_others(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    bus = PubSub(redis, queue_size=5)
    try:
        async with bus.subscribe("chat:y") as slow, bus.subscribe("chat:y") as fast:
            fast_reader = asyncio.create_task(take(fast, 50))
            for i in range(50):
                await bus.publish("chat:y", {"i": i})
            got = await asyncio.wait_for(fast_reader, timeout=10)

            assert got == [{"i": i} for i in range(50)]
            try:
                await asyncio.wait_for(take(slow, 50), timeout=5)
                dropped = False
            except SlowSubscriber:
                dropped = True
            assert dropped
        assert await settled_numsub(redis, "chat:y", 0) == 0
    finally:
        await bus.close()
        await redis.aclose()


class Recorder:
    """A shared sink that keeps what it is offered."""

    def __init__(self, channel: str, expected: int) -> None:
        self.channel, self.expected = channel, expected
        self.events: list[tuple[int, dict]] = []
        self.complete = asyncio.Event()

    def offer(self, event: dict, sequence: int) -> bool:
        self.events.append((sequence, event))
        if len(self.events) == self.expected:
            self.complete.set()
        return True

    def lost(self, error: Exception) -> None:
        self.error = error
        self.complete.set()


async def test_subscribers_hand_their_place_over_to_one_shared_sink(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    bus = PubSub(redis)
    try:
        async with bus.subscribe("deployment:z") as a, bus.subscribe("deployment:z") as b:
            # given an event each subscriber already has in its queue
            await bus.publish("deployment:z", {"i": 0})
            early = [await anext(a), await anext(b)]
            # when both hand over to the channel's shared sink, then three more events come
            sink, after_a = bus.hand_over(a, lambda: Recorder("deployment:z", 3))
            same, after_b = bus.hand_over(b, lambda: Recorder("deployment:z", 3))
            for i in range(1, 4):
                await bus.publish("deployment:z", {"i": i})
            await asyncio.wait_for(sink.complete.wait(), timeout=10)
        # then the sink holds the channel after the subscribers left, until it is released
        held = await numsub(redis, "deployment:z")
        await bus.release(sink)
        released = await numsub(redis, "deployment:z")
    finally:
        await bus.close()
        await redis.aclose()

    assert early == [{"i": 0}, {"i": 0}]
    assert same is sink and after_a == after_b
    # each later event reached the sink once, numbered after the hand-over; none went to a or b
    assert [e for _, e in sink.events] == [{"i": 1}, {"i": 2}, {"i": 3}]
    assert all(sequence > after_a for sequence, _ in sink.events)
    assert a.queue.empty() and b.queue.empty()
    assert (held, released) == (1, 0)


async def test_the_reader_waits_for_the_first_subscription(redis_url, caplog) -> None:
    redis = Redis.from_url(redis_url)
    bus = PubSub(redis)
    try:
        async with bus.subscribe("deployment:first") as sub:
            await bus.publish("deployment:first", {"i": 1})
            got = await asyncio.wait_for(anext(sub), timeout=10)
    finally:
        await bus.close()
        await redis.aclose()

    assert got == {"i": 1}
    # redis-py refuses to read before the first SUBSCRIBE has its connection; reading then
    # failed, and the bus would have ended its subscribers for a connection it never lost
    assert "pub/sub connection to Redis lost" not in caplog.text


async def test_losing_redis_ends_every_subscriber_and_the_bus_connects_anew(tmp_path) -> None:
    """A redis-server of the test's own, stopped under the bus: a subscriber is told (the
    events published meanwhile are lost, it cannot know which), so is a shared sink; while
    Redis is down a new subscription fails at once; once it is back, one works again."""
    servers = EmbeddedServices(tmp_path, postgres=False, redis=True)
    await asyncio.to_thread(servers.start)
    redis = Redis.from_url(servers.redis_url)
    bus = PubSub(redis)
    try:
        async with bus.subscribe("run:a") as alone, bus.subscribe("run:b") as member:
            sink, _ = bus.hand_over(member, lambda: Recorder("run:b", 1))
            await asyncio.to_thread(servers.stop)
            with pytest.raises(ServiceUnavailable) as told:
                await asyncio.wait_for(anext(alone), timeout=10)
            await asyncio.wait_for(sink.complete.wait(), timeout=10)
        assert told.value.service == REDIS and isinstance(sink.error, ServiceUnavailable)

        with pytest.raises(Exception) as refused:
            async with bus.subscribe("run:c"):
                pass
        assert outage_of(refused.value) is not None

        servers = EmbeddedServices(tmp_path, postgres=False, redis=True)
        await asyncio.to_thread(servers.start)
        async with bus.subscribe("run:d") as again:
            assert await settled_numsub(redis, "run:d", 1) == 1
            await bus.publish("run:d", {"back": True})
            assert await asyncio.wait_for(anext(again), timeout=10) == {"back": True}
    finally:
        await bus.close()
        await redis.aclose()
        await asyncio.to_thread(servers.stop)
