"""Performance metrics collected: usage per model version, platform-wide metrics, alert
thresholds.

Upgrade: `model_usage_logs.model_version_id` (SET NULL when the version is deleted);
`performance_metrics.organization_id` and `model_id` become nullable (a row without a model
measures an organization's models together, one without an organization the whole platform),
with an index on `recorded_at`; `model_alert_thresholds` (model, metric name, direction
above/below, value, the crossing state), one row per (model, metric name, direction); the
outbox's mail kinds gain `model_alert`.
Downgrade: drops the alert mails and the table, the platform-wide rows, the index and the column, and makes the
two columns NOT NULL again.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USAGE = "model_usage_logs"
METRICS = "performance_metrics"
THRESHOLDS = "model_alert_thresholds"
MAIL_KIND = "ck_mail_outbox_kind"


def upgrade() -> None:
    op.add_column(USAGE, sa.Column("model_version_id", sa.UUID(), nullable=True))
    op.create_foreign_key(op.f("fk_model_usage_logs_model_version_id_model_versions"), USAGE,
                          "model_versions", ["model_version_id"], ["id"], ondelete="SET NULL")
    op.alter_column(METRICS, "organization_id", existing_type=sa.UUID(), nullable=True)
    op.alter_column(METRICS, "model_id", existing_type=sa.UUID(), nullable=True)
    op.create_index("ix_performance_metrics_recorded_at", METRICS, ["recorded_at"])
    op.create_table(
        THRESHOLDS,
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("model_id", sa.UUID(), nullable=False),
        sa.Column("metric_name", sa.String(length=100), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_value", sa.Double(), nullable=True),
        sa.Column("evaluated_minute", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("direction IN ('above', 'below')",
                           name=op.f("ck_model_alert_thresholds_direction")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_model_alert_thresholds_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["model_id"], ["ai_models.id"],
                                name=op.f("fk_model_alert_thresholds_model_id_ai_models"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_model_alert_thresholds_organization_id_organizations"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_alert_thresholds")),
        sa.UniqueConstraint("model_id", "metric_name", "direction",
                            name=op.f("uq_model_alert_thresholds_model_id_metric_name_direction")),
    )
    op.create_index("ix_model_alert_thresholds_model_id_id", THRESHOLDS, ["model_id", "id"])
    op.create_index(op.f("ix_model_alert_thresholds_organization_id"), THRESHOLDS,
                    ["organization_id"])
    op.create_index(op.f("ix_model_alert_thresholds_created_by"), THRESHOLDS, ["created_by"])
    op.drop_constraint(op.f(MAIL_KIND), "mail_outbox", type_="check")
    op.create_check_constraint(op.f(MAIL_KIND), "mail_outbox",
                               "kind IN ('invitation', 'password_reset', 'model_alert')")


def downgrade() -> None:
    op.execute("DELETE FROM mail_outbox WHERE kind = 'model_alert'")
    op.drop_constraint(op.f(MAIL_KIND), "mail_outbox", type_="check")
    op.create_check_constraint(op.f(MAIL_KIND), "mail_outbox",
                               "kind IN ('invitation', 'password_reset')")
    op.drop_table(THRESHOLDS)
    op.execute(f"DELETE FROM {METRICS} WHERE organization_id IS NULL OR model_id IS NULL")
    op.drop_index("ix_performance_metrics_recorded_at", table_name=METRICS)
    op.alter_column(METRICS, "model_id", existing_type=sa.UUID(), nullable=False)
    op.alter_column(METRICS, "organization_id", existing_type=sa.UUID(), nullable=False)
    op.drop_constraint(op.f("fk_model_usage_logs_model_version_id_model_versions"), USAGE,
                       type_="foreignkey")
    op.drop_column(USAGE, "model_version_id")
