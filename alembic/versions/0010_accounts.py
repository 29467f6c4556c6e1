"""Accounts: invitations, password resets, the mail outbox, profile columns of users, and
deleted organizations.

Upgrade: tables invitations, password_resets and mail_outbox; users.locale (BCP 47) and
users.avatar_file_id (a file, SET NULL when it goes); organizations.deleted_at.
Downgrade: drops them.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('owner', 'admin', 'member', 'viewer')"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
    ]


def _id() -> sa.Column:
    return sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"),
                     nullable=False)


def upgrade() -> None:
    op.add_column("organizations", sa.Column("deleted_at", sa.DateTime(timezone=True),
                                             nullable=True))
    op.add_column("users", sa.Column("locale", sa.String(length=35), nullable=True))
    op.add_column("users", sa.Column("avatar_file_id", sa.UUID(), nullable=True))
    op.create_foreign_key(op.f("fk_users_avatar_file_id_files"), "users", "files",
                          ["avatar_file_id"], ["id"], ondelete="SET NULL")

    op.create_table(
        "invitations",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("invited_by", sa.UUID(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.UUID(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _id(), *_timestamps(),
        sa.CheckConstraint(ROLES, name=op.f("ck_invitations_role")),
        sa.ForeignKeyConstraint(["accepted_by"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_invitations_accepted_by_users")),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_invitations_invited_by_users")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE",
                                name=op.f("fk_invitations_organization_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_index(op.f("ix_invitations_email"), "invitations", ["email"], unique=False)
    op.create_index(op.f("ix_invitations_invited_by"), "invitations", ["invited_by"],
                    unique=False)
    op.create_index("ix_invitations_organization_id_id", "invitations",
                    ["organization_id", "id"], unique=False)

    op.create_table(
        "password_resets",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _id(),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_password_resets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(op.f("ix_password_resets_user_id"), "password_resets", ["user_id"],
                    unique=False)

    op.create_table(
        "mail_outbox",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("to_address", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        _id(), *_timestamps(),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')",
                           name=op.f("ck_mail_outbox_status")),
        sa.CheckConstraint("kind IN ('invitation', 'password_reset')",
                           name=op.f("ck_mail_outbox_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    op.create_index(op.f("ix_mail_outbox_to_address"), "mail_outbox", ["to_address"],
                    unique=False)
    op.create_index("ix_mail_outbox_created_at_id", "mail_outbox", ["created_at", "id"],
                    unique=False)
    op.create_index("ix_mail_outbox_next_attempt_at", "mail_outbox", ["next_attempt_at"],
                    unique=False, postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_table("mail_outbox")
    op.drop_table("password_resets")
    op.drop_table("invitations")
    op.drop_constraint(op.f("fk_users_avatar_file_id_files"), "users", type_="foreignkey")
    op.drop_column("users", "avatar_file_id")
    op.drop_column("users", "locale")
    op.drop_column("organizations", "deleted_at")
