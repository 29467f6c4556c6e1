"""Model names unique among live models only; at most one production version per model.

Upgrade: any model that already has several production versions keeps its default one (else
the newest) and the others become archived, so the partial unique index can be built.
Downgrade: back to one name per organization including deleted models; it fails while a
deleted and a live model of one organization share a name.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_ai_models_organization_id_name", "ai_models", type_="unique")
    op.create_index(
        "uq_ai_models_organization_id_name_live", "ai_models", ["organization_id", "name"],
        unique=True, postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.execute("""
        UPDATE model_versions mv SET status = 'archived', is_default = false
        FROM (SELECT id, row_number() OVER (PARTITION BY model_id
                                            ORDER BY is_default DESC, created_at DESC, id DESC) AS n
              FROM model_versions WHERE status = 'production') ranked
        WHERE mv.id = ranked.id AND ranked.n > 1""")
    op.create_index(
        "uq_model_versions_one_production", "model_versions", ["model_id"], unique=True,
        postgresql_where=sa.text("status = 'production'"),
    )


def downgrade() -> None:
    op.drop_index("uq_model_versions_one_production", table_name="model_versions")
    op.drop_index("uq_ai_models_organization_id_name_live", table_name="ai_models")
    op.create_unique_constraint(
        "uq_ai_models_organization_id_name", "ai_models", ["organization_id", "name"]
    )
