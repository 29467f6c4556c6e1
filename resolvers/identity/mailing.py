"""What the account mutations share about mail: the job that sends what a transaction queued,
and the tokens mails carry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.jobs.enqueue import enqueue
from services.jobs.tasks import SEND_MAIL
from services.security.tokens import hash_secret, new_secret

INVITATION_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=1)


def new_token() -> tuple[str, str]:
    """(token for the mail, its hash for the table)."""
    token = new_secret()
    return token, hash_secret(token)


def expiry(ttl: timedelta) -> datetime:
    return datetime.now(UTC) + ttl


async def send_after_commit(session: AsyncSession) -> None:
    """A worker sends the outbox once this transaction commits (nothing, if it rolls back)."""
    await enqueue(session, SEND_MAIL)
