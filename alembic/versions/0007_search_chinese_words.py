"""Full-text search by words in Chinese too: segmented text and the `zh_english` configuration.

Upgrade: the text-search configuration `zh_english` (a copy of `english` whose non-ASCII words
go through the `simple` dictionary, so Chinese words are kept whole and unstemmed); on
chat_messages, knowledge_chunks and system_logs a `search_text` column (the text with its
Chinese words set apart, db/search_text.py; NULL when there is nothing to cut), filled for
existing rows in batches, and `search_vector` regenerated as
`to_tsvector('zh_english', coalesce(search_text, <text>))` with its GIN index.
Downgrade: the english `search_vector` of 0004/0005 again; drops `search_text` and the
configuration.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from db.search_text import CONFIG, search_text

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_COLUMNS = {"chat_messages": "content", "knowledge_chunks": "content",
                "system_logs": "message"}
BATCH = 1000
# rows that may hold something to cut: any character outside ASCII
NON_ASCII = "[^\\x01-\\x7f]"


def _vector(config: str, expression: str) -> sa.Computed:
    return sa.Computed(f"to_tsvector('{config}'::regconfig, {expression})", persisted=True)


def _replace_vector(table: str, computed: sa.Computed) -> None:
    op.drop_index(f"ix_{table}_search_vector", table_name=table)
    op.drop_column(table, "search_vector")
    op.add_column(table, sa.Column("search_vector", postgresql.TSVECTOR(), computed,
                                   nullable=True))
    op.create_index(f"ix_{table}_search_vector", table, ["search_vector"], unique=False,
                    postgresql_using="gin")


def _fill(table: str, column: str) -> None:
    """search_text for the rows that have Chinese to cut, BATCH rows at a time in id order."""
    bind = op.get_bind()
    select = sa.text(f"SELECT id, {column} FROM {table} WHERE id > :after "
                     f"AND {column} ~ '{NON_ASCII}' ORDER BY id LIMIT {BATCH}")
    update = sa.text(f"UPDATE {table} t SET search_text = v.words FROM "
                     "unnest(CAST(:ids AS uuid[]), CAST(:words AS text[])) v(id, words) "
                     "WHERE t.id = v.id")
    after = "00000000-0000-0000-0000-000000000000"
    while rows := bind.execute(select, {"after": after}).all():
        cut = [(row[0], search_text(row[1])) for row in rows]
        cut = [(row_id, words) for row_id, words in cut if words is not None]
        if cut:
            bind.execute(update, {"ids": [c[0] for c in cut], "words": [c[1] for c in cut]})
        after = rows[-1][0]


def upgrade() -> None:
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)")
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
               "ALTER MAPPING FOR word, hword, hword_part WITH simple")
    for table, column in TEXT_COLUMNS.items():
        # the old vector goes first, so filling search_text does not recompute it per row
        op.drop_index(f"ix_{table}_search_vector", table_name=table)
        op.drop_column(table, "search_vector")
        op.add_column(table, sa.Column("search_text", sa.Text(), nullable=True))
        _fill(table, column)
        op.add_column(table, sa.Column(
            "search_vector", postgresql.TSVECTOR(),
            _vector(CONFIG, f"COALESCE(search_text, {column}, ''::text)"), nullable=True))
        op.create_index(f"ix_{table}_search_vector", table, ["search_vector"], unique=False,
                        postgresql_using="gin")


def downgrade() -> None:
    for table, column in TEXT_COLUMNS.items():
        _replace_vector(table, _vector("english", f"COALESCE({column}, ''::text)"))
        op.drop_column(table, "search_text")
    op.execute(f"DROP TEXT SEARCH CONFIGURATION {CONFIG}")
