"""Column facts the hand-built read SQL needs (casts for parameters, Python types for cursors),
looked up once from the ORM metadata so the SQL and the tables cannot drift apart."""

from __future__ import annotations

from functools import cache

from sqlalchemy.dialects import postgresql

from db.base import Base

_DIALECT = postgresql.dialect()


def _column(table: str, column: str):  # type: ignore[no-untyped-def]
    import db.models  # noqa: F401  (registers every table)

    return Base.metadata.tables[table].c[column]


@cache
def column_cast(table: str, column: str) -> str:
    """The PostgreSQL type name to cast a parameter compared with this column to."""
    sql_type = _column(table, column).type
    name = sql_type.compile(dialect=_DIALECT).lower()
    if name.startswith("varchar") or name == "text":
        return "text"
    if name.startswith("timestamp"):
        return "timestamptz"
    return name


@cache
def column_python_type(table: str, column: str) -> type:
    return _column(table, column).type.python_type
