"""API keys for scripts and training jobs: `aip_<8-char prefix>_<secret>`.

The prefix is stored and shown, so a key can be recognised in a list; the whole key is stored
only as its SHA-256. A key acts for its owner in its one organization, with the owner's
current role there narrowed to the key's scopes. `apikey:{hash}` caches the row for
CACHE_TTL seconds (revoking deletes it); the owner's roles come from the `user:{id}` cache,
so removing the owner from the organization stops the key at once.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
from redis.asyncio import Redis
from sqlalchemy import text

from db.scope import Principal
from db.session import Database
from services.redis_pool import best_effort
from services.security.principals import load_user, principal_of_user
from services.security.tokens import TokenError, hash_secret, new_secret

KEY_PREFIX = "aip_"
CACHE_TTL = 60
LAST_USED_EVERY = 60  # seconds between two last_used_at writes of one key

_FORMAT = re.compile(r"aip_([0-9a-f]{8})_([A-Za-z0-9_-]{32,128})")
KEY_SQL = """
SELECT id, organization_id, user_id, scopes, expires_at, revoked_at IS NOT NULL
FROM api_keys WHERE key_hash = $1"""
TOUCH_SQL = text("UPDATE api_keys SET last_used_at = now() WHERE id = :id")


def generate_api_key() -> tuple[str, str, str]:
    """(full key shown once, visible prefix, hash to store)."""
    prefix = secrets.token_hex(4)
    full_key = f"{KEY_PREFIX}{prefix}_{new_secret(32)}"
    return full_key, prefix, hash_secret(full_key)


def cache_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


async def invalidate_api_key(redis: Redis, *key_hashes: str) -> None:
    """Call after the transaction that revoked or deleted these keys has committed."""
    if key_hashes:
        await redis.delete(*(cache_key(h) for h in key_hashes))


async def _load_key(db: Database, redis: Redis, key_hash: str) -> dict[str, Any] | None:
    cached = await best_effort(redis.get(cache_key(key_hash)), "auth")  # (down: PostgreSQL)
    if cached is not None:
        return orjson.loads(cached)
    rows = await db.fetch(KEY_SQL, key_hash)
    if not rows:
        return None
    key_id, org_id, user_id, scopes, expires_at, revoked = rows[0]
    key = {"id": str(key_id), "org": str(org_id), "user": str(user_id), "scopes": list(scopes),
           "expires": expires_at.timestamp() if expires_at else None, "revoked": revoked}
    await best_effort(redis.set(cache_key(key_hash), orjson.dumps(key), ex=CACHE_TTL), "auth")
    return key


async def _touch(db: Database, redis: Redis, key_id: str) -> None:
    """Record use, at most once per LAST_USED_EVERY seconds per key (not on every request)."""
    # (Redis down: not recorded, rather than a write per request)
    if await best_effort(redis.set(f"apikey_used:{key_id}", 1, nx=True, ex=LAST_USED_EVERY),
                         "auth"):
        async with db.engine.begin() as conn:
            await conn.execute(TOUCH_SQL, {"id": uuid.UUID(key_id)})


async def principal_for_api_key(db: Database, redis: Redis, credential: str) -> Principal:
    """The principal a key acts as; TokenError API_KEY_INVALID / _REVOKED / _EXPIRED."""
    if _FORMAT.fullmatch(credential) is None:
        raise TokenError("API_KEY_INVALID", "This API key is not valid")
    key = await _load_key(db, redis, hash_secret(credential))
    if key is None:
        raise TokenError("API_KEY_INVALID", "This API key is not valid")
    if key["revoked"]:
        raise TokenError("API_KEY_REVOKED", "This API key has been revoked")
    if key["expires"] is not None and key["expires"] <= datetime.now(UTC).timestamp():
        raise TokenError("API_KEY_EXPIRED", "This API key has expired: create a new one")
    owner = uuid.UUID(key["user"])
    user = await load_user(db, redis, owner)
    role = user["roles"].get(key["org"]) if user is not None and user["active"] else None
    if role is None:
        raise TokenError("API_KEY_REVOKED",
                         "This API key's owner is no longer an active member of its organization")
    await _touch(db, redis, key["id"])
    org = uuid.UUID(key["org"])
    # the owner as a plain member (a superuser's key is not a superuser), cut down to one org
    member = principal_of_user(owner, {**user, "superuser": False})
    return replace(member, organization_ids=frozenset({org}), roles={org: role},
                   scopes=frozenset(key["scopes"]), api_key_id=uuid.UUID(key["id"]))
