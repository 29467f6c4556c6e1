"""Account life-cycle: invitations to an organization and password resets.

Both hold a random token that was mailed to someone; only its SHA-256 is stored (a leaked
table grants nothing), and each is single use and expires.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, Timestamps, UUIDPk
from db.models.identity import (
    MEMBERSHIP_ROLES,
    created_by_fk,
    fk,
    one_of,
    org_listing,
    organization_fk,
)


class Invitation(UUIDPk, Timestamps, Base):
    """An email invited into an organization with a role; pending until accepted, revoked or
    expired."""

    __tablename__ = "invitations"
    __table_args__ = (one_of("role", MEMBERSHIP_ROLES), org_listing("invitations"))

    organization_id: Mapped[uuid.UUID] = organization_fk(index=False)
    email: Mapped[str] = mapped_column(String(255), index=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    invited_by: Mapped[uuid.UUID | None] = created_by_fk()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[uuid.UUID | None] = fk("users.id", ondelete="SET NULL", nullable=True,
                                               index=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PasswordReset(UUIDPk, CreatedAt, Base):
    """A mailed password-reset token of one user."""

    __tablename__ = "password_resets"

    user_id: Mapped[uuid.UUID] = fk("users.id", ondelete="CASCADE")
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
