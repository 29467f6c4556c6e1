"""services/mail/sender.py: SMTP URLs, concurrent senders, and retries."""

from __future__ import annotations

import asyncio
import socket

from services.mail import templates
from services.mail.outbox import queue_mail
from services.mail.sender import SmtpServer, send_pending_mail
from tests.identity.mail import smtp

__all__ = ["smtp"]  # fixtures


def test_smtp_urls() -> None:
    assert SmtpServer.from_url("smtp://mail.internal:2525") == SmtpServer("mail.internal", 2525)
    assert SmtpServer.from_url("smtp://u:p@mail:587?starttls=true") == SmtpServer(
        "mail", 587, "u", "p", start_tls=True)
    assert SmtpServer.from_url("smtps://me%40corp:p%40ss@smtp.corp") == SmtpServer(
        "smtp.corp", 465, "me@corp", "p@ss", use_tls=True)


async def _queue(db, count: int) -> None:
    async with db.sessionmaker() as session, session.begin():
        for n in range(count):
            mail = templates.password_reset("en", email=f"u{n}@example.com",
                                            link=f"https://x/reset-password?token=t{n}",
                                            minutes=60)
            await queue_mail(session, kind="password_reset", to=f"u{n}@example.com",
                             language="en", mail=mail)


async def test_senders_in_parallel_send_each_mail_once(settings, db, smtp) -> None:
    # given six queued mails and two senders pointed at the SMTP server
    inbox, port = smtp
    inbox.received.clear()
    await _queue(db, 6)
    smtp_settings = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})

    # when both run at once
    counts = await asyncio.gather(send_pending_mail(db, smtp_settings),
                                  send_pending_mail(db, smtp_settings))

    # then every mail arrived exactly once, and the outbox says sent
    assert sum(counts) == 6
    assert sorted(m["To"] for m in inbox.received) == [f"u{n}@example.com" for n in range(6)]
    rows = await db.fetch("SELECT status, attempts, sent_at IS NOT NULL FROM mail_outbox")
    assert {tuple(r) for r in rows} == {("sent", 1, True)}


async def test_an_unreachable_server_is_retried_later(settings, db) -> None:
    # given a queued mail and an SMTP URL where nothing listens
    await _queue(db, 1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{closed_port}"})

    # when the sender runs twice in a row
    first = await send_pending_mail(db, unreachable)
    second = await send_pending_mail(db, unreachable)

    # then the mail stays pending with the reason, and is not due again at once
    assert (first, second) == (0, 0)
    [row] = await db.fetch("SELECT status, attempts, last_error, next_attempt_at > now() "
                           "FROM mail_outbox")
    assert (row[0], row[1], bool(row[2]), row[3]) == ("pending", 1, True, True)
