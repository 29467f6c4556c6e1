"""Root fields of the system domain (wiring only; logic lives in resolvers/system)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_schema.context import Info
from graphql_schema.system.events import NotificationReceived
from graphql_schema.system.payloads import MarkNotificationsReadInput, MarkNotificationsReadPayload
from resolvers.system import notifications, subscriptions


@strawberry.type
class SystemMutation:
    @strawberry.mutation(description="Mark some of your notifications read.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        return await notifications.mark_notifications_read(info, input)


@strawberry.type
class SystemSubscription:
    notifications: AsyncGenerator[NotificationReceived, None] = strawberry.subscription(
        resolver=subscriptions.notifications,
        description="Your notifications as they are created (run finished, deployment failed, "
                    "document ready). Needs a login.")
