"""Access tokens (short-lived signed JWTs) and opaque secrets stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
LEEWAY_SECONDS = 5


class TokenError(Exception):
    """A bearer credential that cannot be used; `code` is what the client sees."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


def hash_secret(value: str) -> str:
    """SHA-256 is right for high-entropy tokens and keys (passwords use argon2 instead)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def issue_access_token(key: str, *, user_id: uuid.UUID, session_id: uuid.UUID,
                       ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {"sub": str(user_id), "sid": str(session_id), "iat": now,
              "exp": now + ttl_seconds, "typ": "access", "jti": new_secret(12)}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_access_token(key: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                            options={"require": ["sub", "sid", "exp", "typ"]})
        if claims["typ"] != "access":
            raise jwt.InvalidTokenError
        return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(claims["sid"]))
    except jwt.ExpiredSignatureError:
        raise TokenError("TOKEN_EXPIRED", "The access token has expired: refresh it") from None
    except (jwt.InvalidTokenError, ValueError, KeyError):
        raise TokenError("TOKEN_INVALID", "The access token is invalid") from None
