"""Knowledge retrieval filtered by document metadata, and a multilingual default embedder.

Upgrade: `metadata` (JSONB object, the document's metadata copied onto each chunk) on
knowledge_chunks, so a pgvector search filters while it scans; new collections default to
multilingual-e5-small (existing ones keep the model their vectors came from).
Downgrade: drops the column and restores the all-MiniLM-L6-v2 default.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("knowledge_chunks", sa.Column(
        "metadata", postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.alter_column("knowledge_collections", "embedding_model",
                    server_default="multilingual-e5-small")


def downgrade() -> None:
    op.alter_column("knowledge_collections", "embedding_model",
                    server_default="all-MiniLM-L6-v2")
    op.drop_column("knowledge_chunks", "metadata")
