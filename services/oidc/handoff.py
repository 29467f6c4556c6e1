"""What single sign-on keeps between its steps, in Redis and used once each.

A login's `Pending` waits under its `state` until the provider sends the browser back (10
minutes); a signed-in account waits under the hash of a one-time code until the frontend
trades the code for tokens with `completeOidcLogin` (2 minutes). GETDEL makes both single use:
a replayed callback or a second use of a code finds nothing.
"""

from __future__ import annotations

import uuid

import orjson
from redis.asyncio import Redis

from services.oidc.client import Pending
from services.security.tokens import hash_secret, new_secret

STATE_TTL_SECONDS = 600
CODE_TTL_SECONDS = 120


def _state_key(state: str) -> str:
    return f"oidc:state:{hash_secret(state)}"


def _code_key(code: str) -> str:
    return f"oidc:code:{hash_secret(code)}"


async def keep_pending(redis: Redis, pending: Pending, next_path: str) -> None:
    value = orjson.dumps({"nonce": pending.nonce, "verifier": pending.verifier,
                          "redirect_uri": pending.redirect_uri, "next": next_path})
    await redis.set(_state_key(pending.state), value, ex=STATE_TTL_SECONDS)


async def take_pending(redis: Redis, state: str) -> tuple[Pending, str] | None:
    """The login `state` belongs to, and where the frontend wanted to go; None when unknown,
    expired or already used."""
    raw = await redis.getdel(_state_key(state))
    if raw is None:
        return None
    found = orjson.loads(raw)
    return Pending(state, found["nonce"], found["verifier"], found["redirect_uri"]), found["next"]


async def issue_code(redis: Redis, user_id: uuid.UUID) -> str:
    code = new_secret()
    await redis.set(_code_key(code), str(user_id), ex=CODE_TTL_SECONDS)
    return code


async def redeem_code(redis: Redis, code: str) -> uuid.UUID | None:
    raw = await redis.getdel(_code_key(code))
    return None if raw is None else uuid.UUID(raw.decode() if isinstance(raw, bytes) else raw)
