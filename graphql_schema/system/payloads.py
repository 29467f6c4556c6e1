"""The notification mutation's input, payload and userError codes.

(The input lives beside its payload: inputs.py holds the read filters of this domain.)
"""

from __future__ import annotations

from enum import StrEnum

import strawberry

from graphql_schema.errors import UserError
from graphql_schema.system.types import Notification

MAX_MARKED = 100


class NotificationErrorCode(StrEnum):
    """`userErrors[].code` values of markNotificationsRead."""

    TOO_MANY = "TOO_MANY"


@strawberry.input(description=f"Your own notifications to mark read (up to {MAX_MARKED}); "
                              "ones already read keep their first `readAt`.")
class MarkNotificationsReadInput:
    ids: list[strawberry.ID]


@strawberry.type(description=f"Code TOO_MANY: more than {MAX_MARKED} ids.")
class MarkNotificationsReadPayload:
    notifications: list[Notification] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)
