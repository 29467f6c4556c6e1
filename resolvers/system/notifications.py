"""Notifications: other domains create them inside their own transaction with
`add_notification` (services/notifications.py, shared with the worker's jobs) and publish
the returned event after the commit with `publish_notification`
(deployment failed; run finished and document ready use the same pair). Recipients mark them
read with markNotificationsRead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from db.models import Notification
from graphql_schema.context import Info, Loaders
from graphql_schema.errors import NotFound
from graphql_schema.relay import decode_global_id_of
from graphql_schema.system import types
from graphql_schema.system.payloads import (
    MAX_MARKED,
    MarkNotificationsReadInput,
    MarkNotificationsReadPayload,
    NotificationErrorCode,
)
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require_authenticated,
    write,
)
from resolvers.system.live import publish
from services.notifications import NOTIFICATION, add_notification
from services.pubsub import notifications_channel

__all__ = ["NOTIFICATION", "add_notification", "mark_notifications_read",
           "publish_notification"]


async def publish_notification(info: Info, event: dict[str, Any]) -> None:
    await publish(info, notifications_channel(event["user_id"]),
                  {NOTIFICATION: event[NOTIFICATION]})


async def mark_notifications_read(
    info: Info, input: MarkNotificationsReadInput
) -> MarkNotificationsReadPayload:
    require_authenticated(info)
    user_id = info.context.principal.user_id
    ids = list(dict.fromkeys(decode_global_id_of(i, types.Notification, field="ids")
                             for i in input.ids))

    async def body() -> MarkNotificationsReadPayload:
        if len(ids) > MAX_MARKED:
            raise InvalidInput(Problem("ids", f"At most {MAX_MARKED} ids at once",
                                       NotificationErrorCode.TOO_MANY))
        async with write(info) as tx:
            own = set(await tx.session.scalars(select(Notification.id).where(
                Notification.id.in_(ids), Notification.user_id == user_id)))
            if len(own) != len(ids):  # someone else's is reported like a missing one
                raise NotFound("ids: no such notification", field="ids")
            marked = list(await tx.session.scalars(
                update(Notification)
                .where(Notification.id.in_(ids), Notification.read_at.is_(None))
                .values(read_at=func.now()).returning(Notification.id)))
            await tx.audit("notification.mark_read", resource_type="User", resource_id=user_id,
                           organization_id=None, new={"notification_ids": [str(i) for i in marked]})
        loader = Loaders(info.context.db, info.context.principal).node(types.Notification)
        nodes = await loader.load_many(ids)
        return MarkNotificationsReadPayload(notifications=[n for n in nodes if n is not None])

    return await mutation_payload(body, lambda e: MarkNotificationsReadPayload(user_errors=e))
