"""Gateway accounting: which deployment served a model call, and with which API key.

Upgrade: `deployment_id` (SET NULL when the deployment is deleted) and `api_key_id` (SET NULL
when the key is deleted) on model_usage_logs; indexes on (deployment_id, created_at) for a
deployment's recent calls and (organization_id, created_at) for an organization's month.
Downgrade: drops the indexes and the columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "model_usage_logs"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("deployment_id", sa.UUID(), nullable=True))
    op.add_column(TABLE, sa.Column("api_key_id", sa.UUID(), nullable=True))
    op.create_foreign_key(op.f("fk_model_usage_logs_deployment_id_deployments"), TABLE,
                          "deployments", ["deployment_id"], ["id"], ondelete="SET NULL")
    op.create_foreign_key(op.f("fk_model_usage_logs_api_key_id_api_keys"), TABLE,
                          "api_keys", ["api_key_id"], ["id"], ondelete="SET NULL")
    op.create_index(op.f("ix_model_usage_logs_api_key_id"), TABLE, ["api_key_id"])
    op.create_index("ix_model_usage_logs_deployment_id_created_at", TABLE,
                    ["deployment_id", "created_at"])
    op.create_index("ix_model_usage_logs_organization_id_created_at", TABLE,
                    ["organization_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_model_usage_logs_organization_id_created_at", table_name=TABLE)
    op.drop_index("ix_model_usage_logs_deployment_id_created_at", table_name=TABLE)
    op.drop_index(op.f("ix_model_usage_logs_api_key_id"), table_name=TABLE)
    op.drop_constraint(op.f("fk_model_usage_logs_api_key_id_api_keys"), TABLE,
                       type_="foreignkey")
    op.drop_constraint(op.f("fk_model_usage_logs_deployment_id_deployments"), TABLE,
                       type_="foreignkey")
    op.drop_column(TABLE, "api_key_id")
    op.drop_column(TABLE, "deployment_id")
