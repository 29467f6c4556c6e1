"""Accounts and login sessions: sign up, log in, refresh, log out, change password.

Argon2 work (about 0.25 s) runs in a thread and before the write transaction opens, so neither
the event loop nor a pooled connection waits on it. A failed login answers the same way, in the
same time, whether the login is unknown, the password wrong or the account disabled.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from db.models import AuditLog, User, UserSession
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden
from graphql_schema.identity import types
from graphql_schema.identity.inputs import (
    ChangePasswordInput,
    LogInInput,
    RefreshTokenInput,
    SignUpInput,
)
from graphql_schema.identity.payloads import AccountErrorCode as Code
from graphql_schema.identity.payloads import (
    ChangePasswordPayload,
    LogInPayload,
    LogOutPayload,
    RefreshTokenPayload,
    SignUpPayload,
)
from resolvers.mutations import (
    InvalidInput,
    Problem,
    Transaction,
    mutation_payload,
    require_authenticated,
    user_errors,
    write,
)
from services.security.passwords import hash_password, needs_rehash, verify_password
from services.security.principals import invalidate_session
from services.security.sessions import issue_tokens, open_session, split_refresh_token
from services.security.tokens import hash_secret

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
USERNAME = re.compile(r"[a-zA-Z0-9_.-]{3,150}")
MIN_PASSWORD, MAX_PASSWORD, MAX_EMAIL = 10, 1024, 255
BAD_LOGIN = Problem(None, "Wrong login or password", Code.INVALID_CREDENTIALS)
LOGIN_SQL = """
SELECT id, password_hash, status = 'active' AND deleted_at IS NULL FROM users WHERE {} = $1"""


# ------------------------------------------------------------------ sign up and log in

async def sign_up(info: Info, input: SignUpInput) -> SignUpPayload:
    email, username = input.email.strip().lower(), input.username

    async def body() -> SignUpPayload:
        problems = account_problems(email, username, input.password)
        if problems:
            raise InvalidInput(problems)
        password_hash = await asyncio.to_thread(hash_password, input.password)
        async with write(info) as tx:
            taken = (await tx.session.execute(select(User.email, User.username).where(
                or_(User.email == email, User.username == username)))).all()
            if taken:
                raise InvalidInput(_taken({c for row in taken for c in _clashes(row, email,
                                                                                username)}))
            user = User(id=uuid.uuid4(), email=email, username=username, status="active",
                        password_hash=password_hash, last_login_at=datetime.now(UTC))
            tx.session.add(user)
            try:
                await tx.session.flush()
            except IntegrityError as clash:  # a concurrent sign-up won the race
                raise InvalidInput(_taken({c for c in ("email", "username")
                                           if f"uq_users_{c}" in str(clash.orig)})) from None
            tokens = await open_session(tx.session, info.context.settings, user_id=user.id,
                                        **client_of(info))
            await _audit(tx, "user.sign_up", actor=user.id, resource_type="user",
                         resource_id=user.id, new={"email": email, "username": username})
        return SignUpPayload(user=user_node(user), access_token=tokens.access_token,
                             refresh_token=tokens.refresh_token)

    return await mutation_payload(body, lambda errors: SignUpPayload(user_errors=errors))


async def log_in(info: Info, input: LogInInput) -> LogInPayload:
    login = input.login.strip()

    async def body() -> LogInPayload:
        column, key = ("email", login.lower()) if "@" in login else ("username", login)
        rows = await info.context.db.fetch(LOGIN_SQL.format(column), key)
        user_id, password_hash, active = rows[0] if rows else (None, None, False)
        if not await asyncio.to_thread(verify_password, password_hash, input.password) \
                or not active:
            raise InvalidInput(BAD_LOGIN)
        new_hash = (await asyncio.to_thread(hash_password, input.password)
                    if needs_rehash(password_hash) else password_hash)
        async with write(info) as tx:
            user = await tx.session.get(User, user_id, with_for_update=True)
            if (user is None or user.password_hash != password_hash  # changed meanwhile
                    or user.status != "active" or user.deleted_at is not None):
                raise InvalidInput(BAD_LOGIN)
            user.password_hash = new_hash
            user.last_login_at = datetime.now(UTC)
            node = user_node(user)
            tokens = await open_session(tx.session, info.context.settings, user_id=user.id,
                                        **client_of(info))
            await _audit(tx, "session.log_in", actor=user.id, resource_type="user_session",
                         resource_id=tokens.session_id, new={"user_id": user.id})
        return LogInPayload(user=node, access_token=tokens.access_token,
                            refresh_token=tokens.refresh_token)

    return await mutation_payload(body, lambda errors: LogInPayload(user_errors=errors))


# ------------------------------------------------------------------ sessions

async def refresh_token(info: Info, input: RefreshTokenInput) -> RefreshTokenPayload:
    """Rotate the session's tokens. A genuine refresh token that is not the session's current
    one was already used, perhaps by a thief: the session is revoked for good."""
    parsed = split_refresh_token(info.context.settings, input.refresh_token.strip())

    async def body() -> RefreshTokenPayload:
        if parsed is None:
            raise InvalidInput(Problem("refreshToken", "This is not a refresh token",
                                       Code.REFRESH_TOKEN_INVALID))
        session_id, secret = parsed
        async with write(info) as tx:
            row = await tx.session.get(UserSession, session_id, with_for_update=True)
            if row is None:
                raise InvalidInput(Problem("refreshToken", "This is not a refresh token",
                                           Code.REFRESH_TOKEN_INVALID))
            user = await tx.session.get(User, row.user_id)
            if (row.revoked_at is not None or row.expires_at <= datetime.now(UTC)
                    or row.refresh_token_hash is None or user is None
                    or user.status != "active" or user.deleted_at is not None):
                raise InvalidInput(Problem("refreshToken", "This session has ended: log in "
                                           "again", Code.SESSION_REVOKED))
            reused = not hmac.compare_digest(row.refresh_token_hash, hash_secret(secret))
            if reused:
                row.revoked_at = datetime.now(UTC)
                await _audit(tx, "session.refresh_token_reused", actor=row.user_id,
                             resource_type="user_session", resource_id=row.id)
            else:
                tokens = issue_tokens(info.context.settings, row)
                await _audit(tx, "session.refresh", actor=row.user_id,
                             resource_type="user_session", resource_id=row.id)
        await invalidate_session(info.context.redis, session_id)  # its token hash changed
        if reused:
            return RefreshTokenPayload(user_errors=user_errors([Problem(
                "refreshToken", "This refresh token was already used; the session is now "
                "revoked: log in again", Code.REFRESH_TOKEN_REUSED)]))
        return RefreshTokenPayload(access_token=tokens.access_token,
                                   refresh_token=tokens.refresh_token)

    return await mutation_payload(body, lambda errors: RefreshTokenPayload(user_errors=errors))


async def log_out(info: Info) -> LogOutPayload:
    _, session_id = _login_session(info)
    async with write(info) as tx:
        await revoke_sessions(tx, UserSession.id == session_id)
        await tx.audit("session.log_out", resource_type="user_session", resource_id=session_id,
                       organization_id=None)
    await invalidate_session(info.context.redis, session_id)
    return LogOutPayload(ok=True)


async def log_out_everywhere(info: Info) -> LogOutPayload:
    user_id, _ = _login_session(info)
    async with write(info) as tx:
        revoked = await revoke_sessions(tx, UserSession.user_id == user_id)
        await tx.audit("session.log_out_everywhere", resource_type="user", resource_id=user_id,
                       organization_id=None, new={"revoked_sessions": len(revoked)})
    await invalidate_session(info.context.redis, *revoked)
    return LogOutPayload(ok=True)


async def change_password(info: Info, input: ChangePasswordInput) -> ChangePasswordPayload:
    """Other sessions end (a thief's among them); the caller's own stays logged in."""
    user_id, session_id = _login_session(info)

    async def body() -> ChangePasswordPayload:
        rows = await info.context.db.fetch(
            "SELECT password_hash, username, email FROM users WHERE id = $1", user_id)
        old_hash, username, email = rows[0] if rows else (None, "", "")
        problems = [] if await asyncio.to_thread(verify_password, old_hash,
                                                 input.current_password) else [
            Problem("currentPassword", "The current password is wrong",
                    Code.INVALID_CREDENTIALS)]
        problems += password_problems(input.new_password, "newPassword", username=username,
                                       email=email)
        if problems:
            raise InvalidInput(problems)
        new_hash = await asyncio.to_thread(hash_password, input.new_password)
        async with write(info) as tx:
            user = await tx.session.get(User, user_id, with_for_update=True)
            if user is None or user.password_hash != old_hash:  # changed meanwhile
                raise InvalidInput(Problem("currentPassword", "The current password is wrong",
                                           Code.INVALID_CREDENTIALS))
            user.password_hash = new_hash
            revoked = await revoke_sessions(tx, UserSession.user_id == user_id,
                                    UserSession.id != session_id)
            await tx.audit("user.change_password", resource_type="user", resource_id=user_id,
                           organization_id=None, new={"revoked_sessions": len(revoked)})
        await invalidate_session(info.context.redis, *revoked)
        return ChangePasswordPayload(ok=True)

    return await mutation_payload(body, lambda errors: ChangePasswordPayload(user_errors=errors))


# ------------------------------------------------------------------ helpers

def _login_session(info: Info) -> tuple[uuid.UUID, uuid.UUID]:
    """(user id, session id) of a caller logged in with a password, not with an API key."""
    require_authenticated(info)
    principal = info.context.principal
    if principal.user_id is None or principal.session_id is None:
        raise Forbidden("This needs a login session (logIn), not an API key")
    return principal.user_id, principal.session_id


async def revoke_sessions(tx: Transaction, *where: Any) -> list[uuid.UUID]:
    """Revoke the matching live sessions; returns their ids (to drop from the cache)."""
    result = await tx.session.execute(
        update(UserSession).where(UserSession.revoked_at.is_(None), *where)
        .values(revoked_at=datetime.now(UTC)).returning(UserSession.id))
    return list(result.scalars())


async def _audit(tx: Transaction, action: str, *, actor: uuid.UUID, resource_type: str,
                 resource_id: object, new: dict[str, Any] | None = None) -> None:
    """The caller is anonymous while signing up, logging in or refreshing: then the actor is
    the account itself."""
    await tx.audit(action, resource_type=resource_type, resource_id=resource_id,
                   organization_id=None, new=new, actor_id=actor)


def client_of(info: Info) -> dict[str, str | None]:
    request = info.context.request
    if request is None:
        return {"ip_address": None, "user_agent": None}
    return {"ip_address": request.client.host if request.client else None,
            "user_agent": request.headers.get("user-agent")}


def user_node(user: User) -> types.User:
    return types.User.from_record(tuple(getattr(user, c) for c in types.User.columns()))


def account_problems(email: str, username: str, password: str) -> list[Problem]:
    """Everything wrong with a new account's fields (email already lower-cased)."""
    return email_problems(email) + username_problems(username) + password_problems(
        password, "password", username=username, email=email)


def email_problems(email: str) -> list[Problem]:
    if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        return [Problem("email", "Enter a valid email address", Code.INVALID_EMAIL)]
    return []


def username_problems(username: str) -> list[Problem]:
    if not USERNAME.fullmatch(username):
        return [Problem("username", "Use 3 to 150 letters, digits, `_`, `.` or `-`",
                        Code.INVALID_USERNAME)]
    return []


def password_problems(password: str, field: str, *, username: str, email: str
                       ) -> list[Problem]:
    if len(password) < MIN_PASSWORD:
        return [Problem(field, f"Use at least {MIN_PASSWORD} characters",
                        Code.PASSWORD_TOO_SHORT)]
    if len(password) > MAX_PASSWORD:
        return [Problem(field, f"Use at most {MAX_PASSWORD} characters", Code.PASSWORD_TOO_LONG)]
    if password.lower() in {username.lower(), email.lower(), email.partition("@")[0].lower()}:
        return [Problem(field, "The password must not be your username or email",
                        Code.PASSWORD_TOO_SIMILAR)]
    return []


def _clashes(row: Any, email: str, username: str) -> list[str]:
    return [c for c, mine in (("email", email), ("username", username)) if getattr(row, c) == mine]


def _taken(fields: set[str]) -> list[Problem]:
    return [Problem(f, f"This {f} is already taken", Code.TAKEN)
            for f in ("email", "username") if f in fields] or [
        Problem(None, "This email or username is already taken", Code.TAKEN)]


# ------------------------------------------------------------------ command line

async def create_superuser(database_url: str, *, email: str, username: str, password: str,
                           redis_url: str | None = None) -> str:
    """`aiplatform create-superuser`: create the account, or promote the one with this email
    or username, and set its password. Audited as a platform act (no actor)."""
    from redis.asyncio import Redis

    from db.session import make_engine, make_sessionmaker
    from services.security.principals import invalidate_user

    password_hash = await asyncio.to_thread(hash_password, password)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            found = (await session.execute(select(User).where(
                or_(User.email == email, User.username == username)).with_for_update())
            ).scalars().all()
            if len(found) > 1:
                raise ValueError(f"{email} and {username} belong to two different accounts")
            user = found[0] if found else User(id=uuid.uuid4(), email=email, username=username)
            action = "user.promote_superuser" if found else "user.create_superuser"
            user.password_hash, user.is_superuser, user.status = password_hash, True, "active"
            user.deleted_at = None
            session.add(user)
            session.add(AuditLog(action=action, resource_type="user", resource_id=str(user.id),
                                 new_values={"is_superuser": True},
                                 user_agent="aiplatform create-superuser"))
    finally:
        await engine.dispose()
    if redis_url is not None:  # a running server may have cached the account as non-superuser
        async with Redis.from_url(redis_url) as redis:
            await invalidate_user(redis, user.id)
    verb = "promoted" if found else "created"
    return f"{verb} superuser {user.username} <{user.email}>; log in with the logIn mutation"
