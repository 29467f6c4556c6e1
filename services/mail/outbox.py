"""Queueing mails: an outbox row in the caller's transaction, and the links mails carry.

The log says that a mail was queued, of which kind and to whom, never its body: the body
holds a token that opens the account.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from db.models.mail import OutboxMail
from services.mail.templates import RenderedMail
from services.settings import Settings

log = logging.getLogger("aiplatform.mail")

ACCEPT_INVITATION = "accept-invitation"
RESET_PASSWORD = "reset-password"


def link(settings: Settings, page: str, token: str) -> str:
    """`{AIPLATFORM_PUBLIC_URL}/{page}?token=…` (tokens are URL-safe already)."""
    return f"{settings.public_url.rstrip('/')}/{page}?token={token}"


async def queue_mail(session: AsyncSession, *, kind: str, to: str, language: str,
                     mail: RenderedMail) -> uuid.UUID:
    """Add the mail to the outbox (flushed, committed with the caller's transaction)."""
    row = OutboxMail(id=uuid.uuid4(), kind=kind, to_address=to, language=language,
                     subject=mail.subject, text_body=mail.text, html_body=mail.html)
    session.add(row)
    await session.flush()
    log_queued(kind, to, row.id)
    return row.id


def log_queued(kind: str, to: str, mail_id: object) -> None:
    log.info("mail queued: %s to %s (outbox %s)", kind, to, mail_id)
