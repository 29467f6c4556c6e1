"""requestPasswordReset and resetPassword.

A request answers the same for every well-formed email and runs the same statements: one
INSERT ... SELECT writes the reset token, its mail (in the user's language) and an audit row
when the email belongs to an active account, and nothing otherwise, so neither the answer nor
the work tells whether an account exists. Both mutations are limited per email and per
client IP (AIPLATFORM_PASSWORD_RESET_PER_HOUR_EMAIL / _IP).

A reset sets the password, uses up every reset token of the account and revokes all its
sessions: whoever held a token of the old password is logged out.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text, update

from db.models import PasswordReset, User, UserSession
from graphql_schema.context import Info
from graphql_schema.errors import RateLimited
from graphql_schema.identity.inputs import RequestPasswordResetInput, ResetPasswordInput
from graphql_schema.identity.payloads import AccountErrorCode as Code
from graphql_schema.identity.payloads import RequestPasswordResetPayload, ResetPasswordPayload
from resolvers.identity.accounts import (
    client_of,
    email_problems,
    password_problems,
    revoke_sessions,
    user_node,
)
from resolvers.identity.mailing import RESET_TTL, expiry, new_token, send_after_commit
from resolvers.mutations import InvalidInput, Problem, mutation_payload, write
from services.mail import templates
from services.mail.outbox import RESET_PASSWORD, link, log_queued
from services.ratelimit import RateLimiter, retry_after_seconds
from services.security.passwords import hash_password
from services.security.principals import invalidate_session
from services.security.tokens import hash_secret

HOUR = 3600.0
TOKEN_INVALID = Problem("token", "This reset link is used, expired or unknown: ask for a new "
                                 "one", Code.RESET_TOKEN_INVALID)
# `~* '^zh([-_]|$)'` is templates.language_of in SQL: a Chinese locale gets the Chinese mail
REQUEST = text("""
WITH u AS (SELECT id, coalesce(locale ~* '^zh([-_]|$)', false) AS zh FROM users
           WHERE email = :email AND status = 'active' AND deleted_at IS NULL),
r AS (INSERT INTO password_resets (user_id, token_hash, expires_at)
      SELECT id, :token_hash, :expires_at FROM u),
a AS (INSERT INTO audit_logs (user_id, action, resource_type, resource_id, ip_address,
                              user_agent)
      SELECT id, 'user.request_password_reset', 'user', id::text, :ip, :user_agent FROM u)
INSERT INTO mail_outbox (kind, to_address, language, subject, text_body, html_body)
SELECT 'password_reset', :email, CASE WHEN zh THEN 'zh' ELSE 'en' END,
       CASE WHEN zh THEN :zh_subject ELSE :en_subject END,
       CASE WHEN zh THEN :zh_text ELSE :en_text END,
       CASE WHEN zh THEN :zh_html ELSE :en_html END
FROM u RETURNING id""")


async def _limit(info: Info, *keys: tuple[str, int]) -> None:
    """Count this attempt under each (key, hourly limit); RATE_LIMITED when one is spent."""
    limiter = RateLimiter(info.context.redis, window_seconds=HOUR)
    for key, limit in keys:
        wait = await limiter.hit(f"rate_limit:password_reset:{key}", limit)
        if wait is not None:
            raise RateLimited("Too many password resets: try again later",
                              retry_after=retry_after_seconds(wait))


def _ip(info: Info) -> str:
    return client_of(info)["ip_address"] or "unknown"


async def request_password_reset(info: Info, input: RequestPasswordResetInput
                                 ) -> RequestPasswordResetPayload:
    email = input.email.strip().lower()
    settings = info.context.settings

    async def body() -> RequestPasswordResetPayload:
        problems = email_problems(email)
        if problems:
            raise InvalidInput(problems)
        await _limit(info, (f"email:{hash_secret(email)}", settings.password_reset_per_hour_email),
                     (f"ip:{_ip(info)}", settings.password_reset_per_hour_ip))
        token, token_hash = new_token()
        url = link(settings, RESET_PASSWORD, token)
        minutes = int(RESET_TTL.total_seconds() // 60)
        values: dict[str, object] = {"email": email, "token_hash": token_hash,
                                     "expires_at": expiry(RESET_TTL), **client_of(info)}
        values["ip"] = values.pop("ip_address")
        for language in templates.LANGUAGES:
            mail = templates.password_reset(language, email=email, link=url, minutes=minutes)
            values |= {f"{language}_subject": mail.subject, f"{language}_text": mail.text,
                       f"{language}_html": mail.html}
        async with write(info) as tx:
            queued = (await tx.session.execute(REQUEST, values)).scalar_one_or_none()
            await send_after_commit(tx.session)  # for unknown emails too: the same work
        if queued is not None:
            log_queued("password_reset", email, queued)
        return RequestPasswordResetPayload(ok=True)

    return await mutation_payload(body, lambda e: RequestPasswordResetPayload(user_errors=e))


async def reset_password(info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
    token_hash = hash_secret(input.token.strip())

    async def body() -> ResetPasswordPayload:
        await _limit(info, (f"ip:{_ip(info)}", info.context.settings.password_reset_per_hour_ip))
        rows = await info.context.db.fetch(
            "SELECT u.id, u.username, u.email FROM password_resets r JOIN users u "
            "ON u.id = r.user_id WHERE r.token_hash = $1 AND r.used_at IS NULL "
            "AND r.expires_at > now() AND u.status = 'active' AND u.deleted_at IS NULL",
            token_hash)
        if not rows:
            raise InvalidInput(TOKEN_INVALID)
        _, username, email = rows[0]
        problems = password_problems(input.new_password, "newPassword", username=username,
                                     email=email)
        if problems:
            raise InvalidInput(problems)
        new_hash = await asyncio.to_thread(hash_password, input.new_password)
        async with write(info) as tx:
            now = datetime.now(UTC)
            used = await tx.session.execute(
                update(PasswordReset).where(
                    PasswordReset.token_hash == token_hash, PasswordReset.used_at.is_(None),
                    PasswordReset.expires_at > now)
                .values(used_at=now).returning(PasswordReset.user_id))
            user = await tx.session.get(User, used.scalar_one_or_none(), with_for_update=True) \
                if used else None
            if user is None or user.status != "active" or user.deleted_at is not None:
                raise InvalidInput(TOKEN_INVALID)
            user.password_hash = new_hash
            await tx.session.execute(update(PasswordReset).where(
                PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                .values(used_at=now))  # an older mail's link dies with this one
            revoked = await revoke_sessions(tx, UserSession.user_id == user.id)
            await tx.audit("user.reset_password", resource_type="user", resource_id=user.id,
                           organization_id=None, actor_id=user.id,
                           new={"revoked_sessions": len(revoked)})
            node = user_node(user)
        await invalidate_session(info.context.redis, *revoked)
        return ResetPasswordPayload(user=node)

    return await mutation_payload(body, lambda e: ResetPasswordPayload(user_errors=e))
