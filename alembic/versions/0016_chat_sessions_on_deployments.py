"""Chats on a deployment: the deployment a chat started on and the route its replies take.

Upgrade: on chat_sessions, `deployment_id` (SET NULL when the deployment is deleted, indexed
for that delete), `deployment_name` and `deployment_environment` (both set or both null).
Downgrade: drops the constraint, the index and the columns.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "chat_sessions"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("deployment_id", sa.UUID(), nullable=True))
    op.add_column(TABLE, sa.Column("deployment_name", sa.String(length=200), nullable=True))
    op.add_column(TABLE, sa.Column("deployment_environment", sa.String(length=50),
                                   nullable=True))
    op.create_foreign_key(op.f("fk_chat_sessions_deployment_id_deployments"), TABLE,
                          "deployments", ["deployment_id"], ["id"], ondelete="SET NULL")
    op.create_index(op.f("ix_chat_sessions_deployment_id"), TABLE, ["deployment_id"])
    op.create_check_constraint(
        op.f("ck_chat_sessions_deployment_route"), TABLE,
        "(deployment_name IS NULL) = (deployment_environment IS NULL)")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_chat_sessions_deployment_route"), TABLE, type_="check")
    op.drop_index(op.f("ix_chat_sessions_deployment_id"), table_name=TABLE)
    op.drop_constraint(op.f("fk_chat_sessions_deployment_id_deployments"), TABLE,
                       type_="foreignkey")
    op.drop_column(TABLE, "deployment_environment")
    op.drop_column(TABLE, "deployment_name")
    op.drop_column(TABLE, "deployment_id")
