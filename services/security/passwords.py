"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile).

Hashing is deliberately slow (about a quarter of a second) and releases the GIL: async code
calls these functions through `asyncio.to_thread` so the event loop keeps serving.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import hash_secret

_hasher = PasswordHasher()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """An encoded argon2id hash. A fixed `salt` is only for data whose password is public
    anyway (demo users), where it makes reruns byte-identical."""
    if salt is None:
        return _hasher.hash(password)
    return hash_secret(
        password.encode(), salt, time_cost=_hasher.time_cost, memory_cost=_hasher.memory_cost,
        parallelism=_hasher.parallelism, hash_len=_hasher.hash_len, type=_hasher.type,
    ).decode()


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. Without a hash (unknown login, account without password)
    a dummy hash is verified instead, so the answer takes as long as a real one and timing
    does not tell whether the account exists."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash on login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return _hasher.hash("dummy password that matches no account")
