"""Variable coercion without graphql-core's generic walk, for inputs that carry bulk data.

graphql-core coerces a variable generically: for every field of every object it dispatches on
the type (non-null, list, input object, scalar), after a first walk over the whole value that
bounds its nesting. For a `reportRunMetrics` batch of 1,000 points that generic walk was a
large part of the call. A registered input type is compiled here, once, into nested closures
that check and build exactly what graphql-core builds. Whatever they are not sure of (a wrong
or missing value, a tuple instead of a list, a variable left to its default) makes them give
up, and graphql-core coerces the whole request itself: its errors, word for word, are what
clients see.

graphql-core has no hook for this (`Executor.build` calls `get_variable_values` directly), so
`register()` wraps that one function where the executor looks it up. Operations without a
variable of a registered type go straight to graphql-core's function.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection
from math import isfinite
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    ListTypeNode,
    NonNullTypeNode,
    TypeNode,
    Undefined,
    VariableDefinitionNode,
)
from graphql.execution import executor
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.execution.values import VariableValues, VariableValueSource, get_variable_values
from graphql.type.definition import is_leaf_type, is_required_input_field
from graphql.utilities.coerce_input_value import coerce_default_value

Coerce = Callable[[Any], Any]
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
FLOAT_EXACT = 2**53  # every int up to this is a float exactly
MAX_DEPTH = 50  # far below graphql-core's nesting limit (200), so its check cannot differ

_registered: set[str] = set()
_compiled: weakref.WeakKeyDictionary[GraphQLNamedType, Coerce | None] = (
    weakref.WeakKeyDictionary())
_INVALID_DEFAULT = object()  # a field default graphql-core cannot coerce


class GiveUp(Exception):  # not an error: graphql-core takes over
    """The value is not one the compiled coercer is sure of."""


def register(type_name: str) -> None:
    """Coerce variables of the input type `type_name` (and its fields) here."""
    _registered.add(type_name)
    executor.get_variable_values = fast_get_variable_values  # type: ignore[attr-defined]


def fast_get_variable_values(
    schema: GraphQLSchema, var_def_nodes: Collection[VariableDefinitionNode],
    inputs: dict[str, Any], max_errors: int | None = None, hide_suggestions: bool = False,
) -> VariableValues | list[GraphQLError]:
    """graphql-core's `get_variable_values`, compiled for operations that use a registered
    input type."""
    if inputs and any(_named(node.type) in _registered for node in var_def_nodes):
        fast = coerce_fast(schema, var_def_nodes, inputs)
        if fast is not None:
            return fast
    return get_variable_values(schema, var_def_nodes, inputs, max_errors, hide_suggestions)


def coerce_fast(schema: GraphQLSchema, var_def_nodes: Collection[VariableDefinitionNode],
                inputs: dict[str, Any]) -> VariableValues | None:
    """Every variable coerced, or None to let graphql-core do it (and report the errors)."""
    sources: dict[str, VariableValueSource] = {}
    coerced: dict[str, Any] = {}
    for node in var_def_nodes:
        signature = get_variable_signature(schema, node)
        if isinstance(signature, GraphQLError):
            return None
        value = inputs.get(signature.name, Undefined)
        coerce = coercer(signature.type)
        if value is Undefined or coerce is None:
            return None
        try:
            coerced[signature.name] = coerce(value)
        except GiveUp:
            return None
        sources[signature.name] = VariableValueSource(signature, value)
    return VariableValues(sources, coerced)


def coercer(type_: GraphQLInputType, depth: int = 0) -> Coerce | None:
    """The compiled coercer of a type, or None when it has a part not compiled here (one-of
    inputs, types nested too deeply or recursive)."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(type_, GraphQLNonNull):
        inner = coercer(type_.of_type, depth)
        return None if inner is None else _non_null(inner)
    if isinstance(type_, GraphQLList):
        inner = coercer(type_.of_type, depth + 1)
        return None if inner is None else _list(inner)
    if type_ not in _compiled:
        _compiled[type_] = None  # a recursive reference to it gives up
        _compiled[type_] = _compile_named(type_, depth)
    return _compiled[type_]


def _compile_named(type_: GraphQLNamedType, depth: int) -> Coerce | None:
    if isinstance(type_, GraphQLInputObjectType):
        return None if type_.is_one_of else _input_object(type_, depth)
    if type_ is GraphQLInt:
        return _int
    if type_ is GraphQLFloat:
        return _float
    if is_leaf_type(type_):
        return _leaf(type_.coerce_input_value)  # type: ignore[attr-defined]
    return None


def _non_null(inner: Coerce) -> Coerce:
    def coerce(value: Any) -> Any:
        if value is None:
            raise GiveUp
        return inner(value)
    return coerce


def _list(inner: Coerce) -> Coerce:
    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not list:  # graphql-core takes other iterables, and one item
            raise GiveUp
        return [inner(item) for item in value]
    return coerce


def _input_object(type_: GraphQLInputObjectType, depth: int) -> Coerce | None:
    fields = []
    for name, field in type_.fields.items():
        field_coercer = coercer(field.type, depth + 1)
        if field_coercer is None:
            return None
        fields.append((name, field.out_name or name, field_coercer,
                       _default(field), is_required_input_field(field)))
    names = frozenset(type_.fields)
    out_type = type_.out_type

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not dict or not names.issuperset(value):
            raise GiveUp
        result: dict[str, Any] = {}
        for name, out_name, field_coercer, default, required in fields:
            field_value = value.get(name, Undefined)
            if field_value is not Undefined:
                result[out_name] = field_coercer(field_value)
                continue
            if default is _INVALID_DEFAULT or (default is Undefined and required):
                raise GiveUp
            if default is not Undefined:
                result[out_name] = default
        return out_type(result)
    return coerce


def _default(field: GraphQLInputField) -> Any:
    """The field's coerced default: graphql-core memoizes it on the field (or hands out the
    field's own value), so every call returns this same object."""
    try:
        return coerce_default_value(field)
    except TypeError:  # an invalid default: graphql-core raises it when the field is missing
        return _INVALID_DEFAULT


def _int(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return value
    raise GiveUp  # floats that are whole numbers, bools, strings: graphql-core's rules


def _float(value: Any) -> Any:
    if value is None:
        return None
    if type(value) is float and isfinite(value):
        return value
    if type(value) is int and -FLOAT_EXACT <= value <= FLOAT_EXACT:
        return float(value)
    raise GiveUp  # large ints (precision), non-finite numbers, strings: graphql-core's rules


def _leaf(coerce_input_value: Coerce) -> Coerce:
    def coerce(value: Any) -> Any:
        if value is None:
            return None
        try:
            result = coerce_input_value(value)
        except Exception:  # graphql-core reports it
            raise GiveUp from None
        if result is Undefined:
            raise GiveUp
        return result
    return coerce


def _named(node: TypeNode) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    return node.name.value  # type: ignore[attr-defined, no-any-return]
