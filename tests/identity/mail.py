"""A real SMTP server (aiosmtpd) on the tests' event loop, and a server app that sends to it.

`Inbox.next()` waits for the next delivered mail (with a timeout): the test synchronises on
delivery itself, never on a sleep.
"""

from __future__ import annotations

import asyncio
import email
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette

from app.main import create_app

PUBLIC_URL = "https://app.example.test"
WAIT_SECONDS = 10.0


@dataclass
class Inbox:
    """What the SMTP server received, in order."""

    delivered: asyncio.Queue[EmailMessage] = field(default_factory=asyncio.Queue)
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        self.delivered.put_nowait(message)
        return "250 Message accepted for delivery"

    async def next(self) -> EmailMessage:
        return await asyncio.wait_for(self.delivered.get(), WAIT_SECONDS)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()


def token_in(message: EmailMessage, page: str) -> str:
    """The token of the mail's `{PUBLIC_URL}/{page}?token=…` link (the same in both bodies)."""
    pattern = re.escape(f"{PUBLIC_URL}/{page}?token=") + r"([A-Za-z0-9_-]+)"
    plain, html = re.findall(pattern, text_of(message)), re.findall(pattern, html_of(message))
    assert plain and set(html) == {plain[0]}, (plain, html)
    return plain[0]


@pytest.fixture(scope="module")
async def smtp() -> AsyncIterator[tuple[Inbox, int]]:
    inbox = Inbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(inbox, hostname="mail.test"),
                                      "127.0.0.1", 0)
    try:
        yield inbox, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def inbox(smtp: tuple[Inbox, int], mail_app: Starlette) -> Inbox:
    """The inbox, emptied of what earlier tests left."""
    box = smtp[0]
    while not box.delivered.empty():
        box.delivered.get_nowait()
    box.received.clear()
    return box


@pytest.fixture(scope="module")
async def mail_app(settings, smtp: tuple[Inbox, int]) -> AsyncIterator[Starlette]:
    """A server like the tests' app, whose mail goes to the SMTP server above, sent by the
    worker it runs in its process."""
    application = create_app(settings.model_copy(update={
        "smtp_url": f"smtp://127.0.0.1:{smtp[1]}", "public_url": PUBLIC_URL,
        "run_worker": True}))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def mail_client(mail_app: Starlette, db) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mail_app),
                                 base_url="http://test") as http:
        yield http
