"""Live events: how a mutation publishes a committed row and how a subscription reads it back.

An event carries the row as a subscriber shows it (the node's columns, secrets already
redacted), so a channel's thousand subscribers cost no database read. The bus hands every local
subscriber of a channel the same decoded dict, so the node is rebuilt once per process and event
and shared (`node_of`). Subscribers that show events exactly as they arrive (`LiveEvents.roots`)
go further: on a websocket their answers are executed and written once per event for all who
would get the same one (graphql_schema/fanout.py).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from db.columns import column_python_type
from graphql_schema.context import Info, Loaders
from graphql_schema.errors import ApiError
from graphql_schema.fanout import END, StepOf, join, shareable
from graphql_schema.relay import TableNode
from services.pubsub import PubSub, SlowSubscriber, Subscription

log = logging.getLogger("aiplatform.live")

NodeT = TypeVar("NodeT", bound=TableNode)
T = TypeVar("T")
PUBLISHED_AT = "published_at"
_DECODED = "_decoded"  # per-process memo inside a received event; never published


def bus(info: Info) -> PubSub:
    """The process's event bus (the lifespan creates it on the app's state)."""
    ctx = info.context
    if ctx.pubsub is not None:
        return ctx.pubsub
    assert ctx.request is not None
    return ctx.request.app.state.pubsub  # type: ignore[no-any-return]


def node_record(node: TableNode) -> dict[str, Any]:
    """The node's columns by name, as orjson can publish them."""
    return {column: wire(getattr(node, column)) for column in node.columns()}


def wire(value: Any) -> Any:
    # asyncpg's UUID subclass and Decimal are not orjson-native; `_decode` restores both
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


async def publish(info: Info, channel: str, event: dict[str, Any]) -> None:
    """Publish after a commit. The change is already durable, so a Redis failure is logged and
    swallowed: live events are the part that may be lost (DESIGN.md §3)."""
    event = {**event, PUBLISHED_AT: datetime.now(UTC)}
    try:
        await bus(info).publish(channel, event)
    except Exception:
        log.exception("could not publish on %s", channel)


def published_at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event[PUBLISHED_AT])


def node_of(node_type: type[NodeT], event: dict[str, Any], key: str) -> NodeT:
    """The node published under `event[key]`, decoded once per process and event."""
    return shared(event, f"node:{key}", lambda: node_type.from_record(
        [_decode(node_type._table, column, event[key][column])
         for column in node_type.columns()]))


def shared(event: dict[str, Any], key: str, build: Callable[[], T]) -> T:
    """`build()` once per received event, memoized in it: every local subscriber of a channel
    gets the same event dict, so they share what is built from it (nodes, event objects)."""
    memo: dict[str, Any] = event.setdefault(_DECODED, {})
    if key not in memo:
        memo[key] = build()
    return memo[key]  # type: ignore[no-any-return]


def _decode(table: str, column: str, value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    python_type = _python_type(table, column)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is Decimal:
        return Decimal(value)
    return value


@cache
def _python_type(table: str, column: str) -> type | None:
    try:
        return column_python_type(table, column)
    except NotImplementedError:
        return None


def fresh_loaders(info: Info) -> None:
    """Each event is read like a new request: a socket's context lives as long as the socket,
    so its loader caches are dropped before an event's fields resolve."""
    ctx = info.context
    ctx.loaders = Loaders(ctx.db, ctx.principal)


class SubscriberDropped(ApiError):
    """The client read too slowly and fell a whole queue behind; it may subscribe again."""

    def __init__(self, channel: str) -> None:
        super().__init__("You fell too far behind this stream and were dropped: subscribe again",
                         code="SUBSCRIBER_DROPPED")


@asynccontextmanager
async def live_events(info: Info, channel: str) -> AsyncIterator[LiveEvents]:
    """The channel's events from now on, until the block exits (then the bus lets go of the
    channel: a cancelled or closed subscription leaves no Redis subscription behind)."""
    async with bus(info).subscribe(channel) as subscription:
        yield LiveEvents(info, subscription)


class LiveEvents:
    """One subscriber's events of a channel: iterate them, or let `roots` deliver them."""

    def __init__(self, info: Info, subscription: Subscription) -> None:
        self.info, self.subscription = info, subscription

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return _events(self.info, self.subscription)

    async def roots(self, step_of: StepOf) -> AsyncIterator[Any]:
        """The root value of each event's answer, `step_of(event)` = (root or END, last?).

        `step_of` must not depend on the subscriber: on a websocket operation the events
        are then delivered by the channel's shared fan-out, which executes the operation once
        per group of identical subscribers, and this generator yields only what came before
        it joined (then it waits for the stream's end)."""
        operation = shareable(self.info)
        subscription = self.subscription
        while True:
            if operation is not None and subscription.queue.empty():
                member = join(self.info, operation, subscription, bus(self.info), step_of)
                if member is not None:
                    try:
                        await member.done
                        await member.flushed()
                        return
                    except SlowSubscriber:
                        raise SubscriberDropped(subscription.channel) from None
                    finally:
                        await asyncio.shield(member.leave())
                operation = None
            try:
                event = await anext(subscription)
            except SlowSubscriber:
                raise SubscriberDropped(subscription.channel) from None
            fresh_loaders(self.info)
            root, last = step_of(event)
            if root is not END:
                yield root
            if last or root is END:
                return


async def _events(info: Info, subscription: Subscription) -> AsyncIterator[dict[str, Any]]:
    try:
        async for event in subscription:
            fresh_loaders(info)
            yield event
    except SlowSubscriber:
        raise SubscriberDropped(subscription.channel) from None
