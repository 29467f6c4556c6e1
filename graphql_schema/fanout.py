"""Shared subscription delivery: one execution, one serialization, one frame text per event for
every local subscriber that would get the same answer.

Without it each websocket operation executes its selection set for every event, serializes
the result and sends it through strawberry's per-operation loop: ≈ 300 µs of CPU per
subscriber and event, so one event to 1,000 subscribers took ≈ 0.3 s of a core. Here a
subscriber, once its resolver sent its first event (authorized for it alone), hands over its
place on the channel (`PubSub.hand_over`) and waits; the channel's `ChannelFanout` takes each
event once, and for every `Group` of members executes the operation once on the event, builds
the `next` payload once (orjson) and writes `{"id": …, "type": "next", "payload": …}` (or
graphql-ws's `data`) to each member's socket: only the id differs between frames.

A group is the members whose answer cannot differ: the same document, operation name and
variables, and the same principal (every field of it: user, organizations, roles, grants,
scopes, key and session), so loaders scoped by `visible()` read the same rows for all of them.
When unsure, nothing is shared: operations not started by our websocket handlers (e.g. run
in-process), schemas with resolver middleware, and `share_subscription_results = false`
keep strawberry's own per-subscriber path.

A member whose socket does not take a frame at once (the client reads too slowly, the
transport buffer is full) gets its frames queued behind a writer of its own, at most
`queue_size` of them; beyond that it is dropped (SUBSCRIBER_DROPPED), never waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, GraphQLSchema, OperationType, get_operation_ast, parse
from graphql.execution import Executor
from graphql.execution.executor_throwing_on_incremental import ExecutorThrowingOnIncremental
from starlette.websockets import WebSocket
from strawberry.extensions import MaskErrors
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from graphql_schema.planner.internals import core_schema
from services.metrics import subscriptions_active
from services.pubsub import PubSub, SlowSubscriber, Subscription

log = logging.getLogger("aiplatform.fanout")

END = object()  # a `Step` root meaning: the stream ends here, nothing to deliver
Step = tuple[Any, bool]  # (root value to execute the operation on, or END; last event?)
StepOf = Callable[[dict[str, Any]], Step]


# ------------------------------------------------------------------ the socket operation


@dataclass(frozen=True, slots=True)
class SocketOperation:
    """The websocket operation being run by the current task: what a group needs to execute it
    again and to frame the result for this subscriber."""

    websocket: WebSocket
    id: object
    legacy: bool  # graphql-ws (`data`) rather than graphql-transport-ws (`next`)
    query: str
    operation_name: str | None
    variables: Mapping[str, object] | None

    def frame_prefix(self) -> str:
        """The frame up to its payload, exactly as strawberry's handlers encode it."""
        id_json = orjson.dumps(self.id).decode()
        if self.legacy:
            return f'{{"type":"data","id":{id_json},"payload":'
        return f'{{"id":{id_json},"type":"next","payload":'


SOCKET_OPERATION: ContextVar[SocketOperation | None] = ContextVar("socket_operation",
                                                                  default=None)


def subscription_field(schema: GraphQLSchema, query: str, operation_name: str | None
                       ) -> str | None:
    """The root field a subscription document selects, if the schema has it (a client's
    made-up name must not become a metric label); None for queries and broken documents."""
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return None
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        return None
    root = schema.subscription_type
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode) and root is not None \
                and selection.name.value in root.fields:
            return selection.name.value
    return None


@contextlib.asynccontextmanager
async def counted(schema: Any, query: str, operation_name: str | None
                  ) -> AsyncIterator[None]:
    """`aiplatform_subscriptions_active` counts the operation while its task runs."""
    field = subscription_field(core_schema(schema), query, operation_name)
    if field is None:
        yield
        return
    gauge = subscriptions_active(field)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


class TransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """strawberry's graphql-transport-ws handler; each operation's task knows its operation."""

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        SOCKET_OPERATION.set(SocketOperation(
            self.websocket.ws, operation.id, False, operation.query,  # type: ignore[attr-defined]
            operation.operation_name, operation.variables))
        async with counted(self.schema, operation.query, operation.operation_name):
            await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Any, Any]):
    """strawberry's graphql-ws handler; each operation's task knows its operation."""

    async def handle_async_results(self, operation_id: str, query: str,
                                   operation_name: str | None,
                                   variables: dict[str, object] | None) -> None:
        SOCKET_OPERATION.set(SocketOperation(
            self.websocket.ws, operation_id, True, query,  # type: ignore[attr-defined]
            operation_name, variables))
        async with counted(self.schema, query, operation_name):
            await super().handle_async_results(operation_id, query, operation_name, variables)


# ------------------------------------------------------------------ members, groups, channels


class Member:
    """One subscriber of a group: its socket, its frame prefix, the number of the last event it
    had before joining, and a future its resolver awaits (the end of its stream)."""

    def __init__(self, fanout: ChannelFanout, group: Group, operation: SocketOperation,
                 after: int, limit: int) -> None:
        self.fanout, self.group = fanout, group
        self.websocket = operation.websocket
        self.prefix = operation.frame_prefix()
        self.after = after
        self.limit = limit
        self.task = asyncio.current_task()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.backlog: deque[str] = deque()
        self.writer: asyncio.Task[None] | None = None

    def send(self, payload: str) -> None:
        """Write the frame around `payload` now, or queue it behind a send that had to wait."""
        if self.done.done() or (self.task is not None and self.task.cancelling()):
            return  # unsubscribed or disconnected: its task is being cancelled
        frame = self.prefix + payload + "}"
        if self.writer is not None:
            if len(self.backlog) >= self.limit:
                self.finish(SlowSubscriber("a subscriber fell a whole queue behind"))
            else:
                self.backlog.append(frame)
            return
        try:
            rest = start_now(self.websocket.send({"type": "websocket.send", "text": frame}))
        except Exception:  # the socket is gone: its handler cancels the operation
            self.group.members.discard(self)
            return
        if rest is not None:
            self.writer = asyncio.create_task(self._write_behind(rest), name="fanout-writer")

    async def _write_behind(self, pending: Awaitable[None]) -> None:
        try:
            await pending
            while self.backlog and not self.done.done():
                await self.websocket.send({"type": "websocket.send",
                                           "text": self.backlog.popleft()})
        except Exception:  # the socket is gone: its handler cancels the operation
            self.group.members.discard(self)
        finally:
            self.writer = None

    def finish(self, error: Exception | None = None) -> None:
        """End this member's stream (with `error`, else normally); it gets no more frames."""
        self.group.members.discard(self)
        if not self.done.done():
            if error is None:
                self.done.set_result(None)
            else:
                self.done.set_exception(error)

    async def leave(self) -> None:
        """After the stream ended or was cancelled: no frames any more, nothing left behind."""
        self.finish()
        if self.writer is not None:
            self.writer.cancel()  # frames for an operation that is over
        await self.fanout.leave(self.group)

    async def flushed(self) -> None:
        """Until the frames queued behind a slow send are written (before the stream's end)."""
        if self.writer is not None:
            with contextlib.suppress(Exception):
                await self.writer


class Group:
    """Members that share one execution per event."""

    def __init__(self, key: tuple[Any, ...], executor: Executor, context: Any,
                 step_of: StepOf, strawberry_schema: Any) -> None:
        self.key = key
        self.executor = executor
        self.context = context
        self.step_of = step_of
        self.strawberry_schema = strawberry_schema
        self.members: set[Member] = set()

    async def deliver(self, sequence: int, event: dict[str, Any]) -> None:
        members = [m for m in self.members if m.after < sequence]
        if not members:
            return
        root, last = self.step_of(event)
        if root is not END:
            payload = await self.payload(root)
            for member in members:
                member.send(payload)
        if last or root is END:
            for member in members:
                member.finish()

    async def payload(self, root: Any) -> str:
        """The `next` payload for `root`, as strawberry builds it, serialized once."""
        self.context.loaders = type(self.context.loaders)(self.context.db, self.context.principal)
        result = self.executor.build_per_event_executor(root).execute_operation(False)
        if self.executor.is_awaitable(result):
            result = await result
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in self.processed(result.errors)]
        return orjson.dumps(body).decode()

    def processed(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        """What the unshared path does to errors: log them, then the error-code extension."""
        self.strawberry_schema.process_errors(errors, None)
        for extension in self.strawberry_schema.get_extensions():
            if isinstance(extension, MaskErrors):
                errors = extension._process_errors(errors)
        return errors


class ChannelFanout:
    """The shared sink of one channel: its events, numbered, and the groups they go to."""

    def __init__(self, bus: PubSub, channel: str, queue_size: int) -> None:
        self.bus = bus
        self.channel = channel
        self.groups: dict[tuple[Any, ...], Group] = {}
        self.queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue(queue_size)
        self.task = asyncio.create_task(self._run(), name=f"fanout {channel}")

    def offer(self, event: Any, sequence: int) -> bool:
        try:
            self.queue.put_nowait((sequence, event))
        except asyncio.QueueFull:  # this process fell a whole queue behind: all of them did
            log.warning("dropped the %d groups of %s: delivery fell behind",
                        len(self.groups), self.channel)
            self._end(SlowSubscriber(f"delivery on {self.channel} fell behind"))
        return True

    def lost(self, error: Exception) -> None:
        """The bus lost Redis: every member's stream ends with `error` (what is queued here
        may be incomplete: the client subscribes again)."""
        self._end(error)

    def _end(self, error: Exception) -> None:
        for group in list(self.groups.values()):
            for member in list(group.members):
                member.finish(error)

    async def _run(self) -> None:
        while True:
            sequence, event = await self.queue.get()
            for group in list(self.groups.values()):
                try:
                    await group.deliver(sequence, event)
                except Exception as crash:  # ends this group's streams, not the channel's
                    log.exception("delivery on %s failed", self.channel)
                    for member in list(group.members):
                        member.finish(crash)  # raised in its resolver: an internal error

    async def leave(self, group: Group) -> None:
        """A member left `group`: drop empty groups, and the channel once none is left."""
        if not group.members and self.groups.get(group.key) is group:
            del self.groups[group.key]
        if not self.groups:
            self.task.cancel()
            if self.bus.shared_sink(self.channel) is self:  # (not after the bus lost Redis)
                await self.bus.release(self)


# ------------------------------------------------------------------ joining


def principal_key(principal: Any) -> tuple[Any, ...]:
    """Every field of the principal, hashable: equal keys read the same rows everywhere."""
    return tuple(_hashable(getattr(principal, f.name)) for f in dataclasses.fields(principal))


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    return value


def shareable(info: Any) -> SocketOperation | None:
    """The current socket operation if its events may be shared, else None."""
    operation = SOCKET_OPERATION.get()
    if operation is None or not info.context.settings.share_subscription_results:
        return None
    if any(extension._implements_resolve() for extension in info.schema.get_extensions()):
        return None  # resolver middleware runs per subscriber: not ours to replay
    return operation


def join(info: Any, operation: SocketOperation, subscription: Subscription, bus: PubSub,
         step_of: StepOf) -> Member | None:
    """Move a subscriber whose queue is empty into its group (no await: no event falls
    between its queue and the group). None when the operation cannot be executed again."""
    variables = dict(operation.variables or {})
    key = (operation.query, operation.operation_name,
           orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
           principal_key(info.context.principal))
    existing = bus.shared_sink(subscription.channel)
    group = existing.groups.get(key) if isinstance(existing, ChannelFanout) else None
    if group is None:
        group = _new_group(info, operation, key, variables, step_of)
        if group is None:
            return None
    fanout, after = bus.hand_over(subscription, lambda: ChannelFanout(
        bus, subscription.channel, subscription.queue.maxsize))
    group = fanout.groups.setdefault(key, group)
    member = Member(fanout, group, operation, after, subscription.queue.maxsize)
    group.members.add(member)
    return member


def _new_group(info: Any, operation: SocketOperation, key: tuple[Any, ...],
               variables: dict[str, Any], step_of: StepOf) -> Group | None:
    """The group's executor: the operation again, on the group's own copy of the context."""
    context = copy.copy(info.context)  # its own loaders, renewed per event
    executor = ExecutorThrowingOnIncremental.build(
        info.schema._schema, parse(operation.query), None, context, variables,
        operation.operation_name)
    if not isinstance(executor, Executor):
        return None
    return Group(key, executor, context, step_of, info.schema)


# ------------------------------------------------------------------ writing without waiting


class _Rest:
    """The rest of a coroutine that ran until it had to wait on `blocked_on`."""

    def __init__(self, coroutine: Coroutine[Any, Any, None], blocked_on: Any) -> None:
        self.coroutine, self.blocked_on = coroutine, blocked_on

    def __await__(self) -> Generator[Any, Any, None]:
        try:
            yield self.blocked_on  # the task waits for it as the coroutine would have
        except BaseException:
            self.coroutine.close()
            raise
        return (yield from self.coroutine.__await__())


def start_now(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run `coroutine` (a socket send) until it completes or must wait. A send to a socket
    that takes the frame completes at once; one to a client that stopped reading waits for
    the transport to drain: then the rest is returned, for a task of its own to await."""
    try:
        blocked_on = coroutine.send(None)
    except StopIteration:
        return None
    except BaseException:
        coroutine.close()
        raise
    return _Rest(coroutine, blocked_on)
