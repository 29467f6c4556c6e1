"""The system domain's mutation inputs, payloads and userError codes (notifications and
platform settings).

(The inputs live beside their payloads: inputs.py holds the read filters of this domain.)
"""

from __future__ import annotations

from enum import StrEnum

import strawberry
from strawberry import Maybe
from strawberry.scalars import JSON

from graphql_schema.errors import UserError
from graphql_schema.system.types import Notification, SystemSetting

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


class SystemSettingErrorCode(StrEnum):
    """`userErrors[].code` values of setSystemSetting and deleteSystemSetting (besides INVALID,
    REQUIRED and TOO_LONG of the shared field checks)."""

    NOT_EDITABLE = "NOT_EDITABLE"


@strawberry.input(description="Create the setting (category, key) or change it. Fields left "
                              "out keep their stored value (or the default on creation).")
class SetSystemSettingInput:
    category: str = strawberry.field(description="1 to 100 of letters, digits and `_.:-`.")
    key: str = strawberry.field(description="1 to 100 of letters, digits and `_.:-`.")
    value: JSON = strawberry.field(description="Any JSON value, up to 64 KiB.")
    description: Maybe[str | None] = None
    is_public: bool | None = strawberry.field(default=None, description="Readable by anyone, "
                                                                       "also anonymously.")
    is_encrypted: bool | None = strawberry.field(
        default=None, description="Store the value encrypted (AES-GCM, key derived from the "
                                  "app secret); it is then never returned.")


@strawberry.type(description="Codes: REQUIRED, TOO_LONG, INVALID, NOT_EDITABLE.")
class SetSystemSettingPayload:
    setting: SystemSetting | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteSystemSettingInput:
    id: strawberry.ID


@strawberry.type(description="Code NOT_EDITABLE: the setting is protected.")
class DeleteSystemSettingPayload:
    deleted_system_setting_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
