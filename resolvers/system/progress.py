"""Following one worker-run object live: its status changes and progress, from any process.

`analysisJobProgress(jobId)` and `dataProcessingTaskProgress(taskId)` are the same stream over
different rows. The subscription joins the object's Redis channel BEFORE it reads the row, then
sends the row as it is (a first status-changed event), so nothing committed after that read is
missed. It ends after a final status (completed, failed, cancelled), at once when the object
has already finished. Authorized like `node(id:)`: an object the caller cannot read is
NOT_FOUND. Events are delivered by the channel's shared fan-out on websockets
(graphql_schema/fanout.py); a worker publishes them as `{"type": <event type name>,
<noun>: {columns}, "published_at": ...}` (services/charging/progress.py,
services/dataprocessing/progress.py).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql_schema.context import Info, Loaders
from graphql_schema.errors import NotFound
from graphql_schema.fanout import Step
from graphql_schema.relay import TableNode, decode_global_id_of
from resolvers.mutations import require_authenticated
from resolvers.system.live import live_events, node_of, published_at, shared

FINAL = ("completed", "failed", "cancelled")


@dataclass(frozen=True)
class ProgressStream:
    """What differs between the objects: the node, the field naming it in the events (and in
    the worker's published dict), the two event types and the channel."""

    node: type[TableNode]
    noun: str  # "job", "task": the events' field, the argument's name ("jobId")
    what: str  # "analysis job": how a NOT_FOUND names it
    changed: type  # the status-changed event type, sent first and for each status change
    progressed: type
    status_changed: str  # the published type of a status change (the worker's constant)
    channel: Callable[[uuid.UUID], str]

    async def follow(self, info: Info, global_id: str) -> AsyncGenerator[Any, None]:
        require_authenticated(info)
        field = f"{self.noun}Id"
        key = decode_global_id_of(global_id, self.node, field=field)
        async with live_events(info, self.channel(key)) as events:
            # a socket's loaders live as long as the socket: read the row afresh
            row = await Loaders(info.context.db, info.context.principal).node(self.node).load(
                key)
            if row is None:
                raise NotFound(f"{field}: no such {self.what}", field=field)
            yield self.changed(**{self.noun: row, "published_at": datetime.now(UTC)})
            if _status(row) in FINAL:
                return
            async for event in events.roots(self.event):
                yield event

    def event(self, event: dict[str, Any]) -> Step:
        """The event as subscribers see it (built once per process and event); a final
        status is the stream's last event."""
        def build() -> Any:
            row = node_of(self.node, event, self.noun)
            kind = self.changed if event["type"] == self.status_changed else self.progressed
            return kind(**{self.noun: row, "published_at": published_at(event)})

        decoded = shared(event, f"progress:{self.noun}", build)
        return decoded, isinstance(decoded, self.changed) and _status(
            getattr(decoded, self.noun)) in FINAL


def _status(row: Any) -> str:
    return str(getattr(row.status, "value", row.status))
