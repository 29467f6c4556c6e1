"""Platform settings: superusers set and delete them; everyone reads the public ones.

An encrypted value is stored as base64 of an AES-GCM blob (services/security/encryption.py) under
its own derived key, bound to the row's id, and never returned nor written to the audit trail
in clear: the trail says only that it was set. `setting_value` is how the server itself reads
a setting, decrypted.
"""

from __future__ import annotations

import base64
import logging
import re
import uuid
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from db.models import SystemSetting
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden, NotFound
from graphql_schema.relay import decode_global_id_of
from graphql_schema.system import types
from graphql_schema.system.payloads import (
    DeleteSystemSettingInput,
    DeleteSystemSettingPayload,
    SetSystemSettingInput,
    SetSystemSettingPayload,
    SystemSettingErrorCode,
)
from resolvers.input_checks import MAX_JSON_BYTES, Checks
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require_authenticated,
    write,
)
from resolvers.nodes import forget, fresh_node
from services.security.encryption import decrypt_json, derive_key, encrypt_json, row_context
from services.settings import Settings, secret_key

log = logging.getLogger("aiplatform.system")

TABLE = "system_settings"
PURPOSE = b"aiplatform/system-setting/v1"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
HIDDEN = "***"  # what the audit trail says of an encrypted value


def require_superuser(info: Info, action: str) -> None:
    """A refused attempt is logged (WARNING, so it lands in system_logs): someone without the
    right tried to change the platform's configuration."""
    require_authenticated(info)
    principal = info.context.principal
    if not principal.is_superuser:
        log.warning("%s refused: user %s is not a platform superuser", action,
                    principal.user_id)
        raise Forbidden("Only platform superusers change system settings")


def _key(settings: Settings) -> bytes:
    return derive_key(secret_key(settings), PURPOSE)


def encrypt_value(settings: Settings, setting_id: uuid.UUID, value: Any) -> str:
    blob = encrypt_json(_key(settings), value, context=row_context(TABLE, setting_id))
    return base64.b64encode(blob).decode()


def decrypt_value(settings: Settings, setting_id: uuid.UUID, stored: str) -> Any:
    return decrypt_json(_key(settings), base64.b64decode(stored),
                        context=row_context(TABLE, setting_id))


async def setting_value(session: AsyncSession, settings: Settings, category: str, key: str
                        ) -> Any:
    """A setting's value as the server uses it (decrypted); None when unset."""
    row = await session.scalar(select(SystemSetting).where(
        SystemSetting.category == category, SystemSetting.key == key))
    if row is None or row.value is None:
        return None
    return decrypt_value(settings, row.id, row.value) if row.is_encrypted else row.value


def _checked(input: SetSystemSettingInput) -> tuple[str, str]:
    c = Checks()
    category, key = input.category.strip(), input.key.strip()
    for field, value in (("category", category), ("key", key)):
        if not value:
            c.add(field, f"{field} must not be empty", "REQUIRED")
        elif not NAME.fullmatch(value):
            c.add(field, f"{field}: 1 to 100 of letters, digits and `_.:-`")
    try:
        if len(orjson.dumps(input.value)) > MAX_JSON_BYTES:
            c.add("value", f"value: at most {MAX_JSON_BYTES // 1024} KiB of JSON", "TOO_LONG")
    except TypeError:  # e.g. an integer literal beyond 64 bits
        c.add("value", "value: not storable as JSON (numbers must fit in 64 bits)")
    if input.description is not None:
        c.text("description", input.description.value)
    c.raise_if_any()
    return category, key


def _shown(row: SystemSetting) -> dict[str, Any]:
    """The row as the audit trail keeps it: an encrypted value only as set or not."""
    value = row.value
    if row.is_encrypted and value is not None:
        value = HIDDEN
    return {"value": value, "description": row.description, "is_public": row.is_public,
            "is_encrypted": row.is_encrypted}


async def set_system_setting(info: Info, input: SetSystemSettingInput
                             ) -> SetSystemSettingPayload:
    require_superuser(info, "setSystemSetting")

    async def body() -> SetSystemSettingPayload:
        category, key = _checked(input)
        async with write(info) as tx:
            row = await tx.session.scalar(
                select(SystemSetting).where(SystemSetting.category == category,
                                            SystemSetting.key == key).with_for_update())
            old = None
            if row is None:
                row = SystemSetting(id=uuid.uuid4(), category=category, key=key,
                                    is_public=False, is_encrypted=False, is_editable=True)
                tx.session.add(row)
            else:
                if not row.is_editable:
                    raise InvalidInput(Problem("key", "This setting cannot be changed",
                                               SystemSettingErrorCode.NOT_EDITABLE))
                old = _shown(row)
            if input.description is not None:
                row.description = (input.description.value or "").strip() or None
            if input.is_public is not None:
                row.is_public = input.is_public
            if input.is_encrypted is not None:
                row.is_encrypted = input.is_encrypted
            encrypted = bool(row.is_encrypted)
            row.value = (encrypt_value(info.context.settings, row.id, input.value)
                         if encrypted and input.value is not None else input.value)
            row.updated_by = info.context.principal.user_id
            await tx.session.flush()
            await tx.audit("system_setting.set", resource_type="SystemSetting",
                           resource_id=row.id, organization_id=None, old=old, new=_shown(row))
        return SetSystemSettingPayload(setting=await fresh_node(info, types.SystemSetting, row.id))

    return await mutation_payload(body, lambda e: SetSystemSettingPayload(user_errors=e))


async def delete_system_setting(info: Info, input: DeleteSystemSettingInput
                                ) -> DeleteSystemSettingPayload:
    require_superuser(info, "deleteSystemSetting")
    setting_id = decode_global_id_of(input.id, types.SystemSetting, field="id")

    async def body() -> DeleteSystemSettingPayload:
        async with write(info) as tx:
            row = await tx.session.get(SystemSetting, setting_id, with_for_update=True)
            if row is None:
                raise NotFound("No such system setting", field="id")
            if not row.is_editable:
                raise InvalidInput(Problem("id", "This setting cannot be deleted",
                                           SystemSettingErrorCode.NOT_EDITABLE))
            old = {"category": row.category, "key": row.key, **_shown(row)}
            await tx.session.delete(row)
            await tx.session.flush()
            await tx.audit("system_setting.delete", resource_type="SystemSetting",
                           resource_id=row.id, organization_id=None, old=old)
        forget(info, types.SystemSetting, setting_id)
        return DeleteSystemSettingPayload(
            deleted_system_setting_id=relay.to_base64("SystemSetting", setting_id))

    return await mutation_payload(body, lambda e: DeleteSystemSettingPayload(user_errors=e))
