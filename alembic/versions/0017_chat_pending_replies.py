"""Chat replies being generated, each naming the server process that generates it.

Upgrade: `chat_pending_replies` (the reply's id, its chat, user, model and prompt, the
deployment and API key of a chat on a deployment, the holder key of the generating process,
the prompt's token count and cost), so the replies of a process that was killed can be ended
as failed by another.
Downgrade: drops it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 14:11:41.378499
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_pending_replies",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("parent_message_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("api_key_id", sa.UUID(), nullable=True),
        sa.Column("holder", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("prompt_cost", sa.Numeric(precision=12, scale=6), nullable=False),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"],
                                name=op.f("fk_chat_pending_replies_api_key_id_api_keys"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployments.id"],
                                name=op.f("fk_chat_pending_replies_deployment_id_deployments"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["model_id"], ["ai_models.id"],
                                name=op.f("fk_chat_pending_replies_model_id_ai_models"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_chat_pending_replies_organization_id_organizations"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["chat_sessions.id"],
                                name=op.f("fk_chat_pending_replies_session_id_chat_sessions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_chat_pending_replies_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_pending_replies")),
    )
    op.create_index(op.f("ix_chat_pending_replies_organization_id"), "chat_pending_replies",
                    ["organization_id"], unique=False)
    op.create_index(op.f("ix_chat_pending_replies_session_id"), "chat_pending_replies",
                    ["session_id"], unique=False)


def downgrade() -> None:
    op.drop_table("chat_pending_replies")
