"""runProgress(runId): a run's status changes and metric batches, live, from any process.

The subscription joins the Redis channel `run:{run_id}` BEFORE it reads the run, then sends
the run as it is (a first `RunStatusChanged`), so nothing committed after that read is
missed; a client can also take that first event as "subscribed". It ends after the run's
final status, or at once when the run has already finished. A subscriber that falls too far
behind is dropped with SUBSCRIBER_DROPPED rather than slowing the others (services/pubsub.py).
Events are delivered by the channel's shared fan-out on websockets (graphql_schema/fanout.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from graphql_schema.context import Info, Loaders
from graphql_schema.errors import NotFound
from graphql_schema.experiments.events import RunMetricsReported, RunStatusChanged
from graphql_schema.experiments.types import Run
from graphql_schema.fanout import Step
from graphql_schema.relay import decode_global_id_of
from resolvers.experiments.events import decode
from resolvers.experiments.mutations.runs import FINISHED
from resolvers.system.live import live_events
from services.pubsub import run_channel


async def run_progress(info: Info, run_id: str
                       ) -> AsyncGenerator[RunStatusChanged | RunMetricsReported, None]:
    key = decode_global_id_of(run_id, Run, field="runId")
    async with live_events(info, run_channel(key)) as events:
        # a socket's loaders live as long as the socket: read the run afresh
        run = await Loaders(info.context.db, info.context.principal).node(Run).load(key)
        if run is None:
            raise NotFound("runId: no such run", field="runId")
        yield RunStatusChanged(run=run, published_at=datetime.now(UTC))
        if run.status in FINISHED:
            return
        async for progress in events.roots(run_event):
            yield progress


def run_event(event: dict[str, Any]) -> Step:
    """The event as subscribers see it; a final status is the stream's last event."""
    decoded = decode(event)
    return decoded, isinstance(decoded, RunStatusChanged) and decoded.run.status in FINISHED
