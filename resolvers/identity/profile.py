"""updateProfile and revokeSession: what a user changes about their own account.

Both need a user behind the call (a login session or that user's API key acts for them);
neither reaches another account: the session to revoke must be one of the caller's own.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from db.models import User, UserSession
from graphql_schema.context import Info
from graphql_schema.datasets.types import File
from graphql_schema.errors import NotFound
from graphql_schema.identity import types
from graphql_schema.identity.inputs import RevokeSessionInput, UpdateProfileInput
from graphql_schema.identity.payloads import AccountErrorCode as Code
from graphql_schema.identity.payloads import RevokeSessionPayload, UpdateProfilePayload
from graphql_schema.relay import decode_global_id_of
from resolvers.identity.accounts import user_node
from resolvers.mutations import (
    InvalidInput,
    Problem,
    mutation_payload,
    require_authenticated,
    write,
)
from services.security.principals import invalidate_session

NAME_MAX = 150
# BCP 47's common shape: language, then optional script, region and variants (RFC 5646 §2.1)
LOCALE = re.compile(r"([a-z]{2,3})(-[a-z]{4})?(-(?:[a-z]{2}|[0-9]{3}))?"
                    r"((?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)", re.IGNORECASE)
LOCALE_MAX = 35


def canonical_locale(tag: str) -> str | None:
    """`zh_cn` -> `zh-CN`, `ZH-hant-tw` -> `zh-Hant-TW`; None when it is not a BCP 47 tag."""
    match = LOCALE.fullmatch(tag.strip().replace("_", "-"))
    if match is None or len(tag.strip()) > LOCALE_MAX:
        return None
    language, script, region, variants = match.groups()
    return (language.lower() + (script.title() if script else "")
            + (region.upper() if region else "") + (variants or "").lower())


def _user_id(info: Info) -> uuid.UUID:
    require_authenticated(info)
    user_id = info.context.principal.user_id
    if user_id is None:
        raise NotFound("No account behind this caller")
    return user_id


async def update_profile(info: Info, input: UpdateProfileInput) -> UpdateProfilePayload:
    user_id = _user_id(info)

    async def body() -> UpdateProfilePayload:
        changes, problems = _changes(input)
        if input.avatar_file_id is not None and input.avatar_file_id.value is not None:
            file_id = decode_global_id_of(input.avatar_file_id.value, File,
                                          field="avatarFileId")
            if await info.context.loaders.node(File).load(file_id) is None:
                raise NotFound("No such file", field="avatarFileId")
            changes["avatar_file_id"] = file_id
        elif input.avatar_file_id is not None:
            changes["avatar_file_id"] = None
        if problems:
            raise InvalidInput(problems)
        async with write(info) as tx:
            user = await tx.session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound("No account behind this caller")
            old = {k: getattr(user, k) for k in changes}
            for key, value in changes.items():
                setattr(user, key, value)
            await tx.session.flush()
            await tx.audit("user.update_profile", resource_type="user", resource_id=user_id,
                           organization_id=None, old=old, new=changes)
            node = user_node(user)
        return UpdateProfilePayload(user=node)

    return await mutation_payload(body, lambda e: UpdateProfilePayload(user_errors=e))


def _changes(input: UpdateProfileInput) -> tuple[dict[str, Any], list[Problem]]:
    """The columns passed (absent ones stay as they are), and their problems."""
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for field, column in (("firstName", "first_name"), ("lastName", "last_name")):
        given = getattr(input, column)
        if given is None:
            continue
        value = given.value.strip() if given.value is not None else None
        changes[column] = value or None
        if value is not None and len(value) > NAME_MAX:
            problems.append(Problem(field, f"{field}: at most {NAME_MAX} characters",
                                    Code.INVALID))
    if input.locale is not None:
        tag = input.locale.value
        changes["locale"] = None if tag is None else canonical_locale(tag)
        if tag is not None and changes["locale"] is None:
            problems.append(Problem("locale", "Use a BCP 47 language tag such as zh-CN or en",
                                    Code.INVALID_LOCALE))
    if input.preferences is not None:
        changes["settings"] = input.preferences.value
        if not isinstance(changes["settings"], dict):
            problems.append(Problem("preferences", "preferences must be a JSON object",
                                    Code.INVALID))
    return changes, problems


async def revoke_session(info: Info, input: RevokeSessionInput) -> RevokeSessionPayload:
    """End one of your sessions (this one too: that is logging out)."""
    user_id = _user_id(info)
    session_id = decode_global_id_of(input.id, types.UserSession, field="id")
    async with write(info) as tx:
        revoked = (await tx.session.execute(
            update(UserSession).where(UserSession.id == session_id,
                                      UserSession.user_id == user_id,
                                      UserSession.revoked_at.is_(None),
                                      UserSession.expires_at > datetime.now(UTC))
            .values(revoked_at=datetime.now(UTC)).returning(UserSession.id))).scalar()
        if revoked is None:
            raise NotFound("No such session", field="id")
        await tx.audit("session.revoke", resource_type="user_session", resource_id=session_id,
                       organization_id=None)
    await invalidate_session(info.context.redis, session_id)
    return RevokeSessionPayload(revoked_session_id=input.id)
