"""The viewer's notification stream."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from graphql_schema.context import Info
from graphql_schema.errors import Unauthenticated
from graphql_schema.fanout import Step
from graphql_schema.system.events import NotificationReceived
from graphql_schema.system.types import Notification
from resolvers.mutations import require_authenticated
from resolvers.system.live import live_events, node_of, published_at, shared
from resolvers.system.notifications import NOTIFICATION
from services.pubsub import notifications_channel


async def notifications(info: Info) -> AsyncGenerator[NotificationReceived, None]:
    require_authenticated(info)
    user_id = info.context.principal.user_id
    if user_id is None:  # a platform principal without an account has no inbox
        raise Unauthenticated("Notifications are for a logged-in user")
    async with live_events(info, notifications_channel(user_id)) as events:
        async for received in events.roots(notification_received):
            yield received


def notification_received(event: dict[str, Any]) -> Step:
    return shared(event, "NotificationReceived", lambda: NotificationReceived(
        notification=node_of(Notification, event, NOTIFICATION),
        published_at=published_at(event))), False
