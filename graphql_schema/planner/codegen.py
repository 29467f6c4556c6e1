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
    namespace: dict[str, Any] = {"to_base64": to_base64}
    source = "\n".join([
        "def build(row, run):",
        *([] if plan.ident is None else [f"    ident = row[{plan.ident}]"]),
        f"    return {object_display(plan, 'row', 'ident', namespace, '')}",
    ])
    return _compile(plan.type_name, source, namespace)


def inlinable(plan: ObjectPlan) -> bool:
    """Whether the plan's answer is a dict display of its row alone (no related objects)."""
    from graphql_schema.planner.plan import CONST, GID, LEAF

    return all(kind in (CONST, GID, LEAF) for kind, _, _ in plan.entries)


def object_display(plan: ObjectPlan, row: str, ident: str, namespace: dict[str, Any],
                   prefix: str) -> str:
    """The dict display of the plan's answer for the record named `row` (`ident`: an
    expression of its id, used only when `plan.ident` is set); the values it uses go into
    `namespace`, named with `prefix`."""
    from graphql_schema.planner.plan import CONST, GID, LEAF, ONE, SUB

    namespace.setdefault("to_base64", to_base64)
    items = []
    for i, (kind, key, payload) in enumerate(plan.entries):
        name = f"{prefix}_{i}"
        if kind == LEAF:
            index, leaf = payload
            namespace[f"c{name}"] = leaf.convert
            value = leaf.inline.format(x=f"{row}[{index}]", c=f"c{name}")
        elif kind == GID:
            value = f"to_base64({payload!r}, {ident})"
        elif kind == CONST:
            value = repr(payload)
        elif kind == SUB:
            namespace[f"plan{name}"] = plan
            value = f"run.subtrees[plan{name}, {ident}][{key!r}]"
        elif kind == ONE:
            namespace[f"l{name}"] = payload
            value = f"run.one(l{name}, {row}[{payload.key_index}])"
        else:
            namespace[f"b{name}"] = payload.build
            value = f"b{name}(run, {ident})"
        items.append(f"{key!r}: {value}")
    return "{" + ", ".join(items) + "}"


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
                elif inlinable(node_plan):  # the node's dict right here: no call per row
                    ident = f"r[{node_plan.ident}]"
                    edge.append(f"{edge_key!r}: "
                                + object_display(node_plan, "r", ident, namespace, f"n{i}_{j}"))
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
