"""Delivering the outbox over SMTP (aiosmtplib).

`send_pending_mail` is safe to run in several processes at once: each mail is claimed with
`FOR UPDATE SKIP LOCKED` and its row stays locked while it is handed to the SMTP server, so
two senders never send the same mail. A failure is retried with a growing delay; after
MAX_ATTEMPTS the mail is `failed` with the server's reason. Without AIPLATFORM_SMTP_URL
nothing is sent: the mails stay `pending` in the outbox.

A worker runs it (services/jobs/tasks.py): as a job enqueued by the transaction that queued
a mail, and every minute for the mails due for a retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from sqlalchemy import text

from db.session import Database
from services.settings import Settings

log = logging.getLogger("aiplatform.mail")

MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 60  # 1, 2, 4, 8 minutes between attempts
SMTP_TIMEOUT_SECONDS = 30.0

CLAIM = text("""
SELECT id, to_address, subject, text_body, html_body, attempts FROM mail_outbox
WHERE status = 'pending' AND next_attempt_at <= now()
ORDER BY next_attempt_at, id FOR UPDATE SKIP LOCKED LIMIT 1""")
SENT = text("""
UPDATE mail_outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1,
       last_error = NULL, updated_at = now() WHERE id = :id""")
FAILED = text("""
UPDATE mail_outbox SET status = :status, attempts = attempts + 1, last_error = :error,
       next_attempt_at = :next, updated_at = now() WHERE id = :id""")


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to hand mails over, from AIPLATFORM_SMTP_URL."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool = False  # ?starttls=true: upgrade a plain connection

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        query = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
        use_tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if use_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=use_tls,
            start_tls=query.get("starttls") in {"1", "true", "yes", "on"},
        )

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message, hostname=self.hostname, port=self.port, username=self.username,
            password=self.password, use_tls=self.use_tls, start_tls=self.start_tls,
            timeout=SMTP_TIMEOUT_SECONDS)


def build_message(settings: Settings, row: Any) -> EmailMessage:
    """Plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=str(row.id))
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


async def send_pending_mail(db: Database, settings: Settings) -> int:
    """Send every due mail of the outbox, one claimed row at a time; the number sent."""
    if not settings.smtp_url:
        return 0
    server = SmtpServer.from_url(settings.smtp_url)
    sent = 0
    while True:
        async with db.sessionmaker() as session, session.begin():
            row = (await session.execute(CLAIM)).one_or_none()
            if row is None:
                return sent
            try:
                await server.send(build_message(settings, row))
            except (aiosmtplib.SMTPException, OSError) as error:
                attempts = row.attempts + 1
                final = attempts >= MAX_ATTEMPTS
                delay = timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))
                await session.execute(FAILED, {
                    "id": row.id, "status": "failed" if final else "pending",
                    "error": str(error)[:2000], "next": datetime.now(UTC) + delay})
                log.warning("mail %s to %s not sent (attempt %d%s): %s", row.id,
                            row.to_address, attempts, ", giving up" if final else "", error)
                continue
            await session.execute(SENT, {"id": row.id})
            sent += 1
            log.info("mail %s sent to %s", row.id, row.to_address)
