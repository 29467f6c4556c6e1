"""Full-text search: generated tsvector columns with GIN indexes, and trigram indexes.

Upgrade: the `pg_trgm` extension; `search_vector` (english tsvector, generated and stored) on
chat_messages and knowledge_chunks, each with a GIN index, plus a trigram GIN index on their
`content` for partial words.
Downgrade: drops the indexes, the columns, then the extension.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("chat_messages", "knowledge_chunks")
VECTOR = "to_tsvector('english'::regconfig, COALESCE(content, ''::text))"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in TABLES:
        op.add_column(table, sa.Column(
            "search_vector", postgresql.TSVECTOR(),
            sa.Computed(VECTOR, persisted=True), nullable=True,
        ))
        op.create_index(f"ix_{table}_search_vector", table, ["search_vector"], unique=False,
                        postgresql_using="gin")
        op.create_index(f"ix_{table}_content_trgm", table, ["content"], unique=False,
                        postgresql_using="gin", postgresql_ops={"content": "gin_trgm_ops"})


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_content_trgm", table_name=table)
        op.drop_index(f"ix_{table}_search_vector", table_name=table)
        op.drop_column(table, "search_vector")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
