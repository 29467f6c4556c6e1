"""The worker tier's job queue: procrastinate's tables, types, functions and triggers.

Upgrade: runs procrastinate's own schema SQL, frozen beside this file as it shipped with the
version pyproject.toml pins (0008_worker_jobs.sql): a migration must create the same objects
whichever procrastinate is installed when it runs. A later procrastinate that changes its
schema comes with a new revision running that release's files from procrastinate's
`sql/migrations/`, copied the same way.
Downgrade: drops every procrastinate object (jobs, events, workers, periodic defers and the
functions and types they use); queued jobs are lost.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 12:00:00.000000
"""

import re
from collections.abc import Sequence
from pathlib import Path

from alembic import context, op
from sqlalchemy.util import await_only

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = (Path(__file__).parent / "0008_worker_jobs.sql").read_text(encoding="utf-8")


def upgrade() -> None:
    if context.is_offline_mode():
        op.execute(SCHEMA)
        return
    # several statements with dollar-quoted bodies: asyncpg runs such a script unprepared,
    # on the migration's connection and inside its transaction (opened by the first statement)
    op.execute("SELECT 1")
    await_only(op.get_bind().connection.driver_connection.execute(SCHEMA))


def downgrade() -> None:
    for table in ("procrastinate_periodic_defers", "procrastinate_events", "procrastinate_jobs",
                  "procrastinate_workers"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in sorted(set(re.findall(r"CREATE FUNCTION (\w+)\(", SCHEMA))):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    for type_ in re.findall(r"CREATE TYPE (\w+) AS", SCHEMA):
        op.execute(f"DROP TYPE IF EXISTS {type_} CASCADE")
