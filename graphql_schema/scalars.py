"""Custom scalars and the enum factory that keeps GraphQL enums equal to the database checks."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, NewType

import strawberry

BigInt = NewType("BigInt", int)

SCALAR_MAP = {
    BigInt: strawberry.scalar(
        name="BigInt",
        description="A 64-bit integer (sizes in bytes, row counts), as a JSON number.",
        serialize=int,
        parse_value=int,
    ),
}


def db_enum(name: str, values: Sequence[str], description: str | None = None) -> Any:
    """A GraphQL enum whose values are exactly the strings a CHECK constraint allows."""
    return strawberry.enum(Enum(name, {v.upper(): v for v in values}), description=description)
