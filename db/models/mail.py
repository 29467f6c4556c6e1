"""The mail outbox: every mail the platform sends is a row first, written in the transaction
that decided to send it, and sent afterwards by `services.mail.sender`.

Without SMTP configured the rows stay `pending`: the outbox is then where an operator (a
superuser) reads them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamps, UUIDPk
from db.models.identity import ix, one_of

MAIL_STATUSES = ("pending", "sent", "failed")
MAIL_KINDS = ("invitation", "password_reset", "model_alert")


class OutboxMail(UUIDPk, Timestamps, Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (
        one_of("status", MAIL_STATUSES),
        one_of("kind", MAIL_KINDS),
        ix("mail_outbox", "created_at", "id"),
        # the sender's claim: pending rows due now, oldest first
        ix("mail_outbox", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )

    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(255), index=True)
    language: Mapped[str] = mapped_column(String(35))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()"))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
