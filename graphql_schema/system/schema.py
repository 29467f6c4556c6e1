"""Root fields of the system domain (wiring only; logic lives in resolvers/system)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from db.loaders.system import SYSTEM_LOGS, SYSTEM_SETTINGS
from graphql_schema.context import Info
from graphql_schema.relations import connection
from graphql_schema.system.events import NotificationReceived
from graphql_schema.system.inputs import (
    SystemLogFilter,
    SystemLogOrder,
    SystemSettingFilter,
    SystemSettingOrder,
)
from graphql_schema.system.payloads import (
    DeleteSystemSettingInput,
    DeleteSystemSettingPayload,
    MarkNotificationsReadInput,
    MarkNotificationsReadPayload,
    SetSystemSettingInput,
    SetSystemSettingPayload,
)
from graphql_schema.system.types import SystemLog, SystemSetting
from resolvers.system import notifications, settings, subscriptions


@strawberry.type
class SystemQuery:
    system_settings = connection(
        SYSTEM_SETTINGS, SystemSetting, SystemSettingFilter, SystemSettingOrder,
        description="Platform settings: the public ones for anyone (also without logging in), "
                    "all of them for superusers.",
    )

    system_logs = connection(
        SYSTEM_LOGS, SystemLog, SystemLogFilter, SystemLogOrder,
        description=("The server's WARNING-or-worse log records, newest first. Platform superusers "
                     "only: anyone else gets an empty list."),
    )


@strawberry.type
class SystemMutation:
    @strawberry.mutation(description="Mark some of your notifications read.")
    async def mark_notifications_read(
        self, info: Info, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        return await notifications.mark_notifications_read(info, input)

    @strawberry.mutation(description="Create or change a platform setting (superusers only).")
    async def set_system_setting(
        self, info: Info, input: SetSystemSettingInput
    ) -> SetSystemSettingPayload:
        return await settings.set_system_setting(info, input)

    @strawberry.mutation(description="Delete a platform setting (superusers only).")
    async def delete_system_setting(
        self, info: Info, input: DeleteSystemSettingInput
    ) -> DeleteSystemSettingPayload:
        return await settings.delete_system_setting(info, input)


@strawberry.type
class SystemSubscription:
    notifications: AsyncGenerator[NotificationReceived, None] = strawberry.subscription(
        resolver=subscriptions.notifications,
        description="Your notifications as they are created (run finished, deployment failed, "
                    "document ready). Needs a login.")
