"""Leaf values exactly as graphql-core would put them in the answer.

Each converter calls the field type's own `coerce_output_value` (enums to names, datetimes,
UUIDs, JSON), with a shortcut where the database value already is the answer (a `str` for a
`String`). Where graphql-core would report an error instead (null in a non-null field, a
value the type rejects), the converter raises `Fallback` and strawberry answers the request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLString,
    Undefined,
)
from graphql.pyutils import is_iterable

from services.security.redaction import redact_secrets

Converter = Callable[[Any], Any]
MAX_INT = 2**31 - 1
MIN_INT = -(2**31)


class Fallback(Exception):
    """This request's answer needs strawberry's executor: an error, or a value it rejects."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """`convert` for any value; `inline`: a Python expression for generated code that gives
    the same result faster (`{x}` is the value's expression, `{c}` the converter's name)."""

    convert: Converter
    inline: str = "{c}({x})"


_SHORTCUTS = {
    GraphQLString: "(v if type(v := {x}) is str else {c}(v))",
    GraphQLID: "(v if type(v := {x}) is str else {c}(v))",
    GraphQLBoolean: "(v if type(v := {x}) is bool else {c}(v))",
    GraphQLInt: f"(v if type(v := {{x}}) is int and {MIN_INT} <= v <= {MAX_INT} else {{c}}(v))",
}


def leaf_converter(type_: Any, *, redact: bool = False) -> Leaf:
    convert = _nullable(type_)
    if redact:
        return Leaf(lambda value: convert(redact_secrets(value)))
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLEnumType):  # a stored value named before: no call at all
        names: dict[Any, Any] = {}
        return Leaf(_nullable(type_, names),
                    "(v if (v := {c}.names.get({x})) is not None else {c}({x}))")
    return Leaf(convert, _SHORTCUTS.get(inner, "{c}({x})"))


def _nullable(type_: Any, names: dict[Any, Any] | None = None) -> Converter:
    """`names`: for an enum, the memo of names by stored value, kept as `convert.names`."""
    nullable = not isinstance(type_, GraphQLNonNull)
    inner = type_ if nullable else type_.of_type
    base = _list(inner) if isinstance(inner, GraphQLList) else _leaf(inner, names)

    def convert(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise Fallback
        return base(value)

    convert.names = names  # type: ignore[attr-defined]
    return convert


def _list(type_: GraphQLList) -> Converter:
    item = _nullable(type_.of_type)

    def convert(value: Any) -> Any:
        if not is_iterable(value):
            raise Fallback
        return [item(v) for v in value]

    return convert


def _leaf(type_: Any, names: dict[Any, Any] | None = None) -> Converter:
    coerce = type_.coerce_output_value

    def strict(value: Any) -> Any:
        try:
            coerced = coerce(value)
        except Exception:  # graphql-core turns it into a field error
            raise Fallback from None
        if coerced is None or coerced is Undefined:
            raise Fallback
        return coerced

    if type_ is GraphQLString or type_ is GraphQLID:
        return lambda v: v if type(v) is str else strict(v)
    if type_ is GraphQLBoolean:
        return lambda v: v if type(v) is bool else strict(v)
    if type_ is GraphQLInt:
        return lambda v: v if type(v) is int and MIN_INT <= v <= MAX_INT else strict(v)
    if type_ is GraphQLFloat:
        return lambda v: v if type(v) is float and math.isfinite(v) else strict(v)
    if isinstance(type_, GraphQLEnumType):
        return _memo(strict, {} if names is None else names)
    return strict


def _memo(strict: Converter, names: dict[Any, Any]) -> Converter:
    """Enum names by stored value: the same few values, coerced once each."""

    def convert(value: Any) -> Any:
        try:
            return names[value]
        except KeyError:
            name = names[value] = strict(value)
            return name
        except TypeError:  # unhashable
            return strict(value)

    return convert
