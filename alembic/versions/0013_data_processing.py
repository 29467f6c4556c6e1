"""Data processing on the worker: a version's profile and lineage, a task's source version.

Upgrade: `dataset_versions.profile` (JSONB: what a `profile` task measured),
`dataset_versions.parent_version_id` and `.processing_task_id` (the version a task read to
write this one, and that task), `data_processing_tasks.source_version_id` (the version a task
reads); each reference indexed and set to NULL when its target goes.
Downgrade: drops them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referred table)
REFERENCES = (
    ("dataset_versions", "parent_version_id", "dataset_versions"),
    ("dataset_versions", "processing_task_id", "data_processing_tasks"),
    ("data_processing_tasks", "source_version_id", "dataset_versions"),
)


def upgrade() -> None:
    op.add_column("dataset_versions",
                  sa.Column("profile", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    for table, column, referred in REFERENCES:
        op.add_column(table, sa.Column(column, sa.UUID(), nullable=True))
        op.create_foreign_key(op.f(f"fk_{table}_{column}_{referred}"), table, referred,
                              [column], ["id"], ondelete="SET NULL")
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column, referred in reversed(REFERENCES):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_constraint(op.f(f"fk_{table}_{column}_{referred}"), table, type_="foreignkey")
        op.drop_column(table, column)
    op.drop_column("dataset_versions", "profile")
