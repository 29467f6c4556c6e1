"""The page a connection field asks for, from its arguments, kept per field and values.

Converting and checking arguments goes through strawberry's argument conversion and the
filters' validation; the same query with the same variables should not pay for it again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types.arguments import convert_arguments

from db.loaders.base import PageQuery
from graphql_schema.planner.plan import ManyLink
from graphql_schema.relay import PageArgs, page_query
from services.settings import Settings


def pages_asked(schema: strawberry.Schema, settings: Settings, link: ManyLink,
                variables_key: bytes | None, arguments: Callable[[], dict[str, Any]]
                ) -> tuple[PageArgs, str, PageQuery]:
    """The page `link` asks for, kept per (field, argument values, page sizes) and, when the
    caller has the variables' JSON, per (field, that JSON): `arguments()` is called only
    when neither is known."""
    sizes = (settings.default_page_size, settings.max_page_size)
    quick = None if variables_key is None else (link, variables_key, sizes)
    if quick is not None and (found := _page_queries.get(quick)) is not None:
        _page_queries.move_to_end(quick)
        return found  # the same field with the same variables: no argument values
    raw = arguments()
    try:
        key: Any = (link, _frozen(raw), settings.default_page_size, settings.max_page_size)
        cached = _page_queries.get(key)
    except TypeError:  # an argument value that cannot be a key
        key = cached = None
    if cached is not None:
        _page_queries.move_to_end(key)
        _remember_page_query(quick, cached)
        return cached
    spec = link.spec
    kwargs = convert_arguments(
        raw, spec.field.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )
    args = PageArgs(kwargs.get("first"), kwargs.get("after"), kwargs.get("last"),
                    kwargs.get("before"))
    order_name, query = page_query(
        spec.node_type, spec.relation, args, kwargs.get("filter"), kwargs.get("order_by"),
        default_size=settings.default_page_size, max_size=settings.max_page_size,
    )
    _remember_page_query(key, (args, order_name, query))
    _remember_page_query(quick, (args, order_name, query))
    return args, order_name, query


PAGE_QUERY_CACHE_SIZE = 4096
_page_queries: OrderedDict[Any, tuple[PageArgs, str, PageQuery]] = OrderedDict()


def _remember_page_query(key: Any, value: tuple[PageArgs, str, PageQuery]) -> None:
    if key is not None:
        _page_queries[key] = value
        if len(_page_queries) > PAGE_QUERY_CACHE_SIZE:
            _page_queries.popitem(last=False)


def _frozen(value: Any) -> Any:
    """A hashable copy of coerced argument values (input objects are dicts, lists lists)."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value
