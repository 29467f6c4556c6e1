"""Builders generated from plans: one Python function per object selection and per connection.

A builder is a dict display with the response keys in selection order, so assembling an
object costs one call instead of a loop over its fields, and a leaf's common case (a `str`
for a `String`) is an inline test instead of a call. Only names are generated; every value
the code uses (response keys, type names, converters, links) is passed in its namespace or
as a `repr` literal.

Why generated code and not plain closures: this is the one place the planner runs per field
of the answer (the nested benchmark query's answer holds about 20,000), and builders made of
a `(key, getter)` closure list per object, measured against these on the same plans, took
clearly more CPU for the nested query and for the flat one, on both the first and the known
path. Nothing else in the planner is generated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strawberry.relay.utils import to_base64

from graphql_schema.planner.steps import (
    ColumnValue,
    Const,
    Cursor,
    GlobalIdValue,
    PageInfo,
    ResolvedField,
    ToOneValue,
    TotalCount,
)

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
    return all(isinstance(step, Const | GlobalIdValue | ColumnValue) for step in plan.steps)


def object_display(plan: ObjectPlan, row: str, ident: str, namespace: dict[str, Any],
                   prefix: str) -> str:
    """The dict display of the plan's answer for the record named `row` (`ident`: an
    expression of its id, used only when `plan.ident` is set); the values it uses go into
    `namespace`, named with `prefix`."""
    namespace.setdefault("to_base64", to_base64)
    items = []
    for i, step in enumerate(plan.steps):
        name = f"{prefix}_{i}"
        if isinstance(step, ColumnValue):
            namespace[f"c{name}"] = step.leaf.convert
            value = step.leaf.inline.format(x=f"{row}[{step.index}]", c=f"c{name}")
        elif isinstance(step, GlobalIdValue):
            value = f"to_base64({step.type_name!r}, {ident})"
        elif isinstance(step, Const):
            value = repr(step.value)
        elif isinstance(step, ResolvedField):
            namespace[f"plan{name}"] = plan
            value = f"run.subtrees[plan{name}, {ident}][{step.key!r}]"
        elif isinstance(step, ToOneValue):
            namespace[f"l{name}"] = step.link
            value = f"run.one(l{name}, {row}[{step.link.key_index}])"
        else:  # ConnectionValue
            namespace[f"b{name}"] = step.link.build
            value = f"b{name}(run, {ident})"
        items.append(f"{step.key!r}: {value}")
    return "{" + ", ".join(items) + "}"


def connection_builder(link: ManyLink) -> Callable[[Any, Any], dict[str, Any]]:
    """`build(run, parent)`: the connection's answer for one parent (None: a root list)."""
    namespace: dict[str, Any] = {"link": link}
    items = []
    for i, step in enumerate(link.steps):
        if isinstance(step, Const):
            value = repr(step.value)
        elif isinstance(step, TotalCount):
            value = "pages.counts.get(parent, 0)"
        elif isinstance(step, PageInfo):
            namespace[f"p{i}"] = step.steps
            value = f"run.page_info(pages, page, p{i})"
        else:  # Edges
            edge = []
            for j, edge_step in enumerate(step.steps):
                if isinstance(edge_step, Const):
                    edge.append(f"{edge_step.key!r}: {edge_step.value!r}")
                elif isinstance(edge_step, Cursor):
                    edge.append(f"{edge_step.key!r}: run.cursor(pages, r)")
                elif inlinable(node_plan := edge_step.plan):  # no call per row
                    ident = f"r[{node_plan.ident}]"
                    edge.append(f"{edge_step.key!r}: "
                                + object_display(node_plan, "r", ident, namespace, f"n{i}_{j}"))
                else:
                    namespace[f"n{i}_{j}"] = node_plan.build
                    edge.append(f"{edge_step.key!r}: n{i}_{j}(r, run)")
            value = "[{" + ", ".join(edge) + "} for r in page.rows]"
        items.append(f"        {step.key!r}: {value},")
    source = "\n".join([
        "def build(run, parent):",
        "    pages = run.pages[link]",
        "    page = pages.by_parent.get(parent) or run.empty",
        "    return {",
        *items,
        "    }",
    ])
    return _compile("connection", source, namespace)
