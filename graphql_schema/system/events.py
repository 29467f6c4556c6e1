"""Events of the system domain, as subscriptions deliver them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_schema.system.types import Notification


@strawberry.type(description="A notification for you was created (published after the commit).")
class NotificationReceived:
    notification: Notification
    published_at: datetime = strawberry.field(
        description="When the server published it; compare with your clock for the delivery "
                    "delay.")
