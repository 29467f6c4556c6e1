"""Garbage for GraphQL arguments, from one seeded generator: values of any JSON type, and
values shaped like an input type (the right structure, hostile leaves: huge and negative
numbers, empty, long and odd strings, unknown enum values, made-up and real IDs), so that
some reach the resolvers and the database instead of stopping at variable coercion."""

from __future__ import annotations

import random
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

ODD_STRINGS = ("", " ", "\x00", "'; DROP TABLE users; --", "%s%s%n", "../../etc/passwd",
               "😀" * 10, "\u202e\u200b", "null", "-1", "1e309", "NaN", "a" * 300,
               "2024-13-45T99:99:99Z", "Zm9vOmJhcg==", "T3JnYW5pemF0aW9uOjE=", "<script>",
               "x" * 5000, "\\", '"', "{}", "[]", "0x10", "9" * 40)
ODD_INTS = (0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1,
            10**30)
ODD_FLOATS = (0.0, -0.0, 1e308, -1e308, 1e-320, 3.5, -2.5)


def any_json(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value, nested a little."""
    roll = rng.randrange(10 if depth < 3 else 7)
    if roll == 0:
        return None
    if roll == 1:
        return rng.choice((True, False))
    if roll == 2:
        return rng.choice(ODD_INTS)
    if roll == 3:
        return rng.choice(ODD_FLOATS)
    if roll in (4, 5, 6):
        return odd_string(rng)
    if roll in (7, 8):
        return [any_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {odd_string(rng)[:20] or "k": any_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def odd_string(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(ODD_STRINGS)
    return "".join(chr(rng.choice((rng.randrange(32, 127), rng.randrange(0x80, 0xD7FF))))
                   for _ in range(rng.randrange(1, 40)))


def shaped(rng: random.Random, type_: GraphQLInputType, ids: list[str], depth: int = 0) -> Any:
    """A value of `type_`'s shape with hostile leaves; now and then any JSON instead."""
    if rng.random() < 0.02:
        return any_json(rng)
    if isinstance(type_, GraphQLNonNull):
        return shaped(rng, type_.of_type, ids, depth)
    if isinstance(type_, GraphQLList):
        if depth > 3:
            return []
        return [shaped(rng, type_.of_type, ids, depth + 1) for _ in range(rng.randrange(4))]
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 3:
            return {}
        value = {name: shaped(rng, field.type, ids, depth + 1)
                 for name, field in type_.fields.items()
                 if rng.random() < (0.99 if isinstance(field.type, GraphQLNonNull) else 0.6)}
        if rng.random() < 0.03:
            value[odd_string(rng)[:20] or "extra"] = any_json(rng)
        return value
    if isinstance(type_, GraphQLEnumType):
        names = list(type_.values)
        return rng.choice(names) if rng.random() < 0.95 else odd_string(rng)
    assert isinstance(type_, GraphQLScalarType)
    return scalar(rng, type_.name, ids)


def scalar(rng: random.Random, name: str, ids: list[str]) -> Any:
    """A hostile value that may pass for the scalar `name` (mostly one that does)."""
    wrong = rng.random() < 0.1  # of another kind: for coercion to refuse
    if name == "ID":
        return rng.choice(ids) if ids and rng.random() < 0.6 else odd_string(rng)
    if name in ("Int", "BigInt"):
        return rng.choice(ODD_INTS if wrong or name == "BigInt" else ODD_INTS[:4])
    if name in ("Float", "Decimal"):
        return rng.choice((*ODD_FLOATS, *ODD_INTS, "1.5", "1e400") if wrong else ODD_FLOATS)
    if name == "Boolean":
        return rng.choice((0, "true") if wrong else (True, False))
    if name == "DateTime":
        return rng.choice(("2024-02-30", "yesterday", "", 1700000000) if wrong else (
            "2024-01-01T00:00:00Z", "0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00"))
    if name == "UUID":
        return rng.choice(("not-a-uuid", "") if wrong else (
            "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"))
    if name == "JSON":
        return any_json(rng)
    return odd_string(rng)
