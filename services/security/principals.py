"""Bearer access token -> Principal, with a Redis cache in front of PostgreSQL and a short
per-process memory in front of Redis.

`user:{id}` caches the user's status and roles and `session:{id}` the session's validity in
Redis, each for CACHE_TTL seconds. Each process also keeps the principals of the tokens it
authenticated in the last `auth_cache_seconds` (`AIPLATFORM_AUTH_CACHE_SECONDS`), with the
rate-limit slots it claimed for them, so a busy caller costs no round trip per request.

Revocation is therefore not immediate everywhere. Writes that end a session or change a
user's access (logging out, a password change, a role change, a removed member) call
`invalidate_session`/`invalidate_user` after their transaction commits: that drops the Redis
entries and this process's memory of the principal, so the change holds at once in the
process that made it. Other processes keep answering from their memory until their entry is
`auth_cache_seconds` old, then read Redis again; with `auth_cache_seconds` 0 nothing is kept
and every request reads Redis.

Redis is a cache here, not a source: while it is down (services/redis_pool.py stops trying
for a second after each failed connect), a token is checked against its signature, then its
session and user are read from PostgreSQL, and nothing is cached; the request is counted
against the rate limit by services/ratelimit.py, which decides what an outage means there.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
import orjson
from redis.asyncio import Redis

from db.scope import Principal
from db.session import Database
from services.ratelimit import Count
from services.ratelimit import user_key as rate_key
from services.redis_pool import best_effort
from services.security.tokens import (
    LEEWAY_SECONDS,
    AccessClaims,
    TokenError,
    decode_access_token,
    hash_secret,
)
from services.settings import Settings, secret_key

CACHE_TTL = 300

# A deleted organization's memberships give nothing: everything in it is out of reach at once.
USER_SQL = """
SELECT u.status, u.deleted_at IS NOT NULL, u.is_superuser,
       coalesce(array_agg(m.organization_id) FILTER (WHERE m.id IS NOT NULL), '{}'),
       coalesce(array_agg(m.role) FILTER (WHERE m.id IS NOT NULL), '{}')
FROM users u LEFT JOIN memberships m ON m.user_id = u.id
  AND NOT EXISTS (SELECT 1 FROM organizations o
                  WHERE o.id = m.organization_id AND o.deleted_at IS NOT NULL)
WHERE u.id = $1 GROUP BY u.id"""
# Extra codenames per organization from the user's groups and direct grants (groups.py writes
# them and invalidates `user:{id}`); they count only where the user is a member.
GRANTS_SQL = """
SELECT gp.organization_id, p.codename FROM group_members gm
JOIN group_permissions gp ON gp.group_id = gm.group_id JOIN permissions p ON p.id = gp.permission_id
WHERE gm.user_id = $1
UNION
SELECT up.organization_id, p.codename FROM user_permissions up
JOIN permissions p ON p.id = up.permission_id WHERE up.user_id = $1"""
SESSION_SQL = """
SELECT user_id, token_hash, revoked_at IS NOT NULL, expires_at FROM user_sessions WHERE id = $1"""


def user_key(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def session_key(session_id: uuid.UUID) -> str:
    return f"session:{session_id}"


async def invalidate_user(redis: Redis, *user_ids: uuid.UUID) -> None:
    if user_ids:
        _forget(lambda p: p.user_id in user_ids)
        await redis.delete(*(user_key(u) for u in user_ids))


async def invalidate_session(redis: Redis, *session_ids: uuid.UUID) -> None:
    if session_ids:
        _forget(lambda p: p.session_id in session_ids)
        await redis.delete(*(session_key(s) for s in session_ids))


@dataclass(slots=True)
class _SignedIn:
    """A token this process authenticated recently (until `until`, monotonic), with the
    rate-limit slots it claimed for it in Redis and has not used yet."""

    principal: Principal
    until: float
    slots: int
    claim: int  # how many slots the last claim asked for


SIGNED_IN_CACHE_SIZE = 4096
MAX_CLAIM = 64
_signed_in: OrderedDict[tuple[str, str], _SignedIn] = OrderedDict()
_claiming: dict[tuple[str, str], asyncio.Future[None]] = {}  # a Redis round trip under way


def _forget(matches: Callable[[Principal], bool]) -> None:
    for key in [k for k, v in _signed_in.items() if matches(v.principal)]:
        del _signed_in[key]


def _recent(key: tuple[str, str], count: Count | None) -> tuple[Principal | None, int]:
    """The principal of a token (`key`: signing key and token) authenticated less than
    `auth_cache_seconds` ago (with the request counted against a slot claimed then), or None
    and how many slots to claim: twice the last claim when it ran out in time (a busy
    caller), half when it expired unused."""
    entry = _signed_in.get(key)
    if entry is None:
        return None, 1
    if time.monotonic() < entry.until:
        if count is None:
            return entry.principal, 0
        if entry.slots > 0:
            entry.slots -= 1
            count.done, count.wait = True, None
            return entry.principal, 0
        return None, min(entry.claim * 2, MAX_CLAIM)
    return None, max(entry.claim // 2, 1)


def _remember(settings: Settings, key: tuple[str, str], principal: Principal, slots: int,
              claim: int) -> None:
    if settings.auth_cache_seconds <= 0:
        return
    now = time.monotonic()
    old = _signed_in.get(key)
    if old is not None and now < old.until:
        slots += old.slots  # claimed by a request that overlapped this one: still counted
    _signed_in[key] = _SignedIn(principal, now + settings.auth_cache_seconds, slots, claim)
    _signed_in.move_to_end(key)
    if len(_signed_in) > SIGNED_IN_CACHE_SIZE:
        _signed_in.popitem(last=False)


async def _cached(redis: Redis, keys: list[str]) -> list[Any | None]:
    return [orjson.loads(v) if v is not None else None for v in await redis.mget(keys)]


async def load_user(db: Database, redis: Redis, user_id: uuid.UUID, *,
                    cached: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """{"active", "superuser", "roles": {org: role}} of a user, cached; None if unknown.
    `cached`: the cache's entry when the caller already read it (one round trip for two)."""
    if cached is None:
        cached = ((await best_effort(_cached(redis, [user_key(user_id)]), "auth")) or [None])[0]
    if cached is not None:
        return cached
    rows = await db.fetch(USER_SQL, user_id)
    if not rows:
        return None
    status, deleted, superuser, orgs, roles = rows[0]
    user = {"active": status == "active" and not deleted, "superuser": superuser,
            "roles": {str(o): r for o, r in zip(orgs, roles, strict=True)},
            "grants": await _grants(db, user_id)}
    await best_effort(redis.set(user_key(user_id), orjson.dumps(user), ex=CACHE_TTL), "auth")
    return user


async def _grants(db: Database, user_id: uuid.UUID) -> dict[str, list[str]]:
    grants: dict[str, list[str]] = {}
    for org, codename in await db.fetch(GRANTS_SQL, user_id):
        grants.setdefault(str(org), []).append(codename)
    return grants


def principal_of_user(user_id: uuid.UUID, user: dict[str, Any], **kwargs: Any) -> Principal:
    if user["superuser"]:
        return Principal(user_id=user_id, organization_ids=None, is_superuser=True, **kwargs)
    roles = {uuid.UUID(o): r for o, r in user["roles"].items()}
    grants = {uuid.UUID(o): frozenset(c) for o, c in user.get("grants", {}).items()}
    return Principal.member(user_id, roles, grants=grants, **kwargs)


CLAIMS_CACHE_SIZE = 4096
_claims: OrderedDict[tuple[str, str], tuple[AccessClaims, float]] = OrderedDict()


def _verified_claims(settings: Settings, token: str) -> AccessClaims:
    """The token's claims, its signature checked once per process. Only the signature check
    is cached: expiry is compared on every use (an expired token is decoded again, which
    raises TOKEN_EXPIRED). Whether the session and user behind the claims still allow access
    is `principal_for_access_token`'s business, within `auth_cache_seconds` (module
    docstring)."""
    key = secret_key(settings)
    entry = _claims.get((key, token))
    if entry is not None and time.time() < entry[1] + LEEWAY_SECONDS:
        return entry[0]
    claims = decode_access_token(key, token)
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    _claims[(key, token)] = (claims, float(expires))
    if len(_claims) > CLAIMS_CACHE_SIZE:
        _claims.popitem(last=False)
    return claims


async def principal_for_access_token(
    settings: Settings, db: Database, redis: Redis, token: str, *, count: Count | None = None
) -> Principal:
    """`count`: a request to count for this user in the same round trip, when the session
    and user are cached and say they are signed in (`Count.done` tells). A token used again
    within `auth_cache_seconds` is answered from this process's memory while its claimed
    slots last: no round trip at all."""
    claims = _verified_claims(settings, token)  # its expiry is checked on every use
    key = (secret_key(settings), token)
    known, claim = _recent(key, count)
    if known is not None:
        return known
    while count is not None and (running := _claiming.get(key)) is not None:
        # the slots another request of this token is claiming right now are for this one
        # too: one claim at a time, or every request in flight would claim its own batch
        await asyncio.shield(running)
        known, claim = _recent(key, count)
        if known is not None:
            return known
    done = _claiming[key] = asyncio.get_running_loop().create_future()
    try:
        return await _authenticate(settings, db, redis, key, claims, count, claim)
    finally:
        done.set_result(None)
        if _claiming.get(key) is done:
            del _claiming[key]


async def _authenticate(settings: Settings, db: Database, redis: Redis, key: tuple[str, str],
                        claims: AccessClaims, count: Count | None, claim: int) -> Principal:
    token = key[1]
    # the session and the user in one round trip: the user's id is in the signed claims
    keys = [session_key(claims.session_id), user_key(claims.user_id)]
    slots = 0
    session = user = None
    if count is None:
        cached = await best_effort(_cached(redis, keys), "auth")
        if cached is not None:
            session, user = cached
    else:
        hit = await best_effort(count.limiter.signed_in_hit(
            *keys, rate_key(claims.user_id), count.limit, claim), "auth")
        if hit is not None:  # (Redis down: counted later, services/ratelimit.py)
            raw_session, raw_user, count.wait, granted = hit
            count.done = granted >= 0
            slots = max(granted - 1, 0)
            session, user = (orjson.loads(v) if v is not None else None
                             for v in (raw_session, raw_user))
    if session is None:
        rows = await db.fetch(SESSION_SQL, claims.session_id)
        if not rows:
            raise TokenError("SESSION_REVOKED", "This session has ended: log in again")
        user_id, token_hash, revoked, expires_at = rows[0]
        session = {"user": str(user_id), "token_hash": token_hash, "revoked": revoked,
                   "expires": expires_at.timestamp()}
        await best_effort(redis.set(session_key(claims.session_id), orjson.dumps(session),
                                    ex=CACHE_TTL), "auth")
    if (session["revoked"] or session["user"] != str(claims.user_id)
            or session["expires"] < datetime.now(UTC).timestamp()):
        raise TokenError("SESSION_REVOKED", "This session has ended: log in again")
    if session["token_hash"] != hash_secret(token):
        # a valid signature but not the session's current token: rotated away by a refresh
        raise TokenError("TOKEN_INVALID", "This access token was replaced: use the newest one")
    user = await load_user(db, redis, claims.user_id, cached=user)
    if user is None or not user["active"]:
        raise TokenError("SESSION_REVOKED", "This account is not active")
    principal = principal_of_user(claims.user_id, user, session_id=claims.session_id)
    _remember(settings, key, principal, slots, claim)
    return principal
