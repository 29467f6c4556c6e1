"""Full-text search over system logs: a generated tsvector column and a trigram index.

Upgrade: `search_vector` (english tsvector of `message`, generated and stored) on system_logs
with a GIN index, and a trigram GIN index on `message` for partial words (pg_trgm comes from
0004).
Downgrade: drops both indexes and the column.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VECTOR = "to_tsvector('english'::regconfig, COALESCE(message, ''::text))"


def upgrade() -> None:
    op.add_column("system_logs", sa.Column(
        "search_vector", postgresql.TSVECTOR(), sa.Computed(VECTOR, persisted=True),
        nullable=True,
    ))
    op.create_index("ix_system_logs_search_vector", "system_logs", ["search_vector"],
                    unique=False, postgresql_using="gin")
    op.create_index("ix_system_logs_message_trgm", "system_logs", ["message"], unique=False,
                    postgresql_using="gin", postgresql_ops={"message": "gin_trgm_ops"})


def downgrade() -> None:
    op.drop_index("ix_system_logs_message_trgm", table_name="system_logs")
    op.drop_index("ix_system_logs_search_vector", table_name="system_logs")
    op.drop_column("system_logs", "search_vector")
