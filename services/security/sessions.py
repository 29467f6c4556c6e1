"""Login sessions: a user_sessions row per login, holding only hashes of its tokens.

The refresh token is `<session id>.<secret>.<mac>`: the id finds the row, the secret's hash
must be the current one. A refresh token that was already rotated away is a replay, and
revokes the whole session (the thief and the victim both have to log in again). The MAC (the
server key over id and secret) tells a replay from a forgery: the session id is no secret (an
access token carries it), and without the MAC anyone holding it could revoke the session by
sending `<id>.<anything>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import UserSession
from services.security.tokens import hash_secret, issue_access_token, new_secret
from services.settings import Settings, secret_key


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    session_id: uuid.UUID
    access_token: str
    refresh_token: str
    expires_at: datetime


def issue_tokens(settings: Settings, row: UserSession) -> IssuedTokens:
    """New access and refresh tokens for a session row; the row keeps only their hashes."""
    access = issue_access_token(secret_key(settings), user_id=row.user_id, session_id=row.id,
                                ttl_seconds=settings.access_token_ttl_seconds)
    refresh_secret = new_secret()
    row.token_hash = hash_secret(access)
    row.refresh_token_hash = hash_secret(refresh_secret)
    row.last_used_at = datetime.now(UTC)
    body = f"{row.id}.{refresh_secret}"
    return IssuedTokens(row.id, access, f"{body}.{_mac(settings, body)}", row.expires_at)


def _mac(settings: Settings, body: str) -> str:
    digest = hmac.new(secret_key(settings).encode(), b"refresh:" + body.encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


async def open_session(
    session: AsyncSession, settings: Settings, *, user_id: uuid.UUID,
    ip_address: str | None = None, user_agent: str | None = None,
) -> IssuedTokens:
    """A new login for `user_id` (flushed in the caller's transaction)."""
    row = UserSession(
        id=uuid.uuid4(), user_id=user_id, ip_address=ip_address, user_agent=user_agent,
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    tokens = issue_tokens(settings, row)
    session.add(row)
    await session.flush()
    return tokens


def split_refresh_token(settings: Settings, token: str) -> tuple[uuid.UUID, str] | None:
    """The session id and secret of a token this server issued; None for anything else."""
    body, _, mac = token.rpartition(".")
    session_id, _, secret = body.partition(".")
    if not secret or not hmac.compare_digest(mac.encode(), _mac(settings, body).encode()):
        return None
    try:
        return uuid.UUID(session_id), secret
    except ValueError:
        return None
