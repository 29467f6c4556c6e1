"""Builders generated from plans: one Python function per object selection and per connection.

A builder is a dict display with the response keys in selection order, so assembling an
object costs one call instead of a loop over its fields (the answer of the nested benchmark
query holds ≈ 20,000 fields). Only names are generated; every value the code uses (response
keys, type names, converters, links) is passed in its namespace or as a `repr` literal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strawberry.relay.utils import to_base64

if TYPE_CHECKING:
    from graphql_schema.planner.plan import ManyLink, ObjectPlan


def _compile(name: str, source: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    exec(compile(source, f"<planner {name}>", "exec"), namespace)
    return namespace["build"]  # type: ignore[no-any-return]


def object_builder(plan: ObjectPlan) -> Callable[[Any, Any], dict[str, Any]]:
    """`build(row, run)`: the object's answer from its record."""
    from graphql_schema.planner.plan import CONST, GID, LEAF, ONE, SUB

    namespace: dict[str, Any] = {"to_base64": to_base64, "plan": plan}
    items = []
    for i, (kind, key, payload) in enumerate(plan.entries):
        if kind == LEAF:
            index, leaf = payload
            namespace[f"c{i}"] = leaf.convert
            value = leaf.inline.format(x=f"row[{index}]", c=f"c{i}")
        elif kind == GID:
            value = f"to_base64({payload!r}, ident)"
        elif kind == CONST:
            value = repr(payload)
        elif kind == SUB:
            value = f"run.subtrees[plan, ident][{key!r}]"
        elif kind == ONE:
            namespace[f"l{i}"] = payload
            value = f"run.one(l{i}, row[{payload.key_index}])"
        else:
            namespace[f"b{i}"] = payload.build
            value = f"b{i}(run, ident)"
        items.append(f"        {key!r}: {value},")
    source = "\n".join([
        "def build(row, run):",
        f"    ident = row[{plan.layout.offset}]",
        "    return {",
        *items,
        "    }",
    ])
    return _compile(plan.type_name, source, namespace)


def connection_builder(link: ManyLink) -> Callable[[Any, Any], dict[str, Any]]:
    """`build(run, parent)`: the connection's answer for one parent (None: a root list)."""
    from graphql_schema.planner.plan import (
        C_CONST,
        C_COUNT,
        C_PAGE_INFO,
        E_CONST,
        E_CURSOR,
    )

    namespace: dict[str, Any] = {"link": link}
    items = []
    for i, (kind, key, payload) in enumerate(link.entries):
        if kind == C_CONST:
            value = repr(payload)
        elif kind == C_COUNT:
            value = "pages.counts.get(parent, 0)"
        elif kind == C_PAGE_INFO:
            namespace[f"p{i}"] = payload
            value = f"run.page_info(pages, page, p{i})"
        else:
            edge = []
            for j, (edge_kind, edge_key, node_plan) in enumerate(payload):
                if edge_kind == E_CONST:
                    edge.append(f"{edge_key!r}: {node_plan!r}")
                elif edge_kind == E_CURSOR:
                    edge.append(f"{edge_key!r}: run.cursor(pages, r)")
                else:
                    namespace[f"n{i}_{j}"] = node_plan.build
                    edge.append(f"{edge_key!r}: n{i}_{j}(r, run)")
            value = "[{" + ", ".join(edge) + "} for r in page.rows]"
        items.append(f"        {key!r}: {value},")
    source = "\n".join([
        "def build(run, parent):",
        "    pages = run.pages[link]",
        "    page = pages.by_parent.get(parent) or run.empty",
        "    return {",
        *items,
        "    }",
    ])
    return _compile("connection", source, namespace)
