"""The compiler: a validated operation becomes a tree of per-type plans, or `Unplannable`.

Selections are collected with graphql-core's own `collect_fields`/`collect_subfields` (so
fragments, inline fragments, aliases, merging and `@include`/`@skip` follow the executor's
rules exactly); each field is then looked up in the catalog. Plans are cached per document,
operation and the values of the variables its directives read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    Executor,
    FieldNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.collect_fields import FieldDetails, collect_fields

from graphql_schema.planner.catalog import (
    Column,
    GlobalId,
    RootNode,
    ToMany,
    ToOne,
    field_spec,
    strawberry_field,
    table_node,
)
from graphql_schema.planner.codegen import connection_builder, object_builder
from graphql_schema.planner.steps import (
    PAGE_INFO_FIELDS,
    ColumnValue,
    ConnectionStep,
    ConnectionValue,
    Const,
    Cursor,
    EdgeNode,
    Edges,
    EdgeStep,
    EndCursor,
    GlobalIdValue,
    HasNextPage,
    HasPreviousPage,
    NodesValue,
    ObjectStep,
    PageInfo,
    PageInfoStep,
    ResolvedField,
    StartCursor,
    StrawberryRoot,
    ToOneValue,
    TotalCount,
)
from graphql_schema.planner.values import leaf_converter
from graphql_schema.relay import TableNode


class Unplannable(Exception):
    """This root field (or, below it, this connection or object) needs strawberry's
    executor."""


def _unbuilt(*_: Any) -> dict[str, Any]:
    raise RuntimeError("plan used before its builder was generated")


@dataclass(eq=False)
class Layout:
    """The columns one statement selects; every plan reading those rows indexes into it.
    `offset`: columns before them in each row (the parent's position in a per-parent page).
    Rows read by id (to-one links, `node`) start with it; a connection's rows hold the id
    only when something needs it (a page of messages is the largest part of an answer)."""

    offset: int = 0
    columns: list[str] = field(default_factory=lambda: ["id"])

    def index(self, column: str) -> int:
        if column not in self.columns:
            self.columns.append(column)
        return self.offset + self.columns.index(column)


@dataclass(eq=False)
class ObjectPlan:
    node_type: type[TableNode]
    type_name: str
    layout: Layout
    steps: list[ObjectStep] = field(default_factory=list)
    links: list[OneLink | ManyLink] = field(default_factory=list)
    build: Callable[[Any, Any], dict[str, Any]] = _unbuilt  # generated (codegen.py)
    ident: int | None = None  # the id's index in the row, if the answer or a link needs it
    # fields the catalog does not cover (a custom resolver), executed by graphql-core on
    # the node built from the row's `node_columns` (positions of node_type.columns())
    subtree: dict[str, list[FieldDetails]] = field(default_factory=dict)
    graphql_type: GraphQLObjectType | None = None
    node_columns: list[int] = field(default_factory=list)


@dataclass(eq=False)
class OneLink:
    """A to-one relation: the parent's column `key_index` holds the child's id."""

    key_index: int
    node_type: type[TableNode]
    nullable: bool
    layout: Layout = field(default_factory=Layout)
    plan: ObjectPlan | None = None


@dataclass(eq=False)
class ManyLink:
    """A connection: one statement for all parents of a level (or the root list)."""

    spec: ToMany
    field_def: GraphQLField
    field_node: FieldNode
    layout: Layout = field(default_factory=Layout)
    steps: list[ConnectionStep] = field(default_factory=list)
    node_plans: list[ObjectPlan] = field(default_factory=list)
    needs_count: bool = False
    needs_cursor: bool = False  # its rows carry their sort columns (cursors are made of them)
    needs_more: bool = False  # a page reads one row more to tell hasNext/PreviousPage
    build: Callable[[Any, Any], dict[str, Any]] = _unbuilt  # generated (codegen.py)


@dataclass(eq=False)
class NodeLink:
    """Root `node(id:)` / `nodes(ids:)`: a plan per concrete type (None: not plannable)."""

    many: bool
    field_def: GraphQLField
    field_node: FieldNode
    plans: dict[str, ObjectPlan | None] = field(default_factory=dict)


@dataclass(eq=False)
class RootPlan:
    """The root fields in answer order; those the planner does not cover (`StrawberryRoot`)
    are executed by strawberry, as a document of their own (`rest`), beside the planned
    ones."""

    steps: list[ObjectStep] = field(default_factory=list)
    rest: DocumentNode | None = None
    subtrees: bool = False  # some object has fields graphql-core executes (`ResolvedField`)


@dataclass(eq=False)
class Compiler:
    schema: strawberry.Schema
    executor: Executor
    subtrees: bool = False

    def root(self) -> RootPlan:
        ex = self.executor
        query_type = self.executor.schema.query_type
        assert query_type is not None
        collected = collect_fields(ex.schema, ex.fragments, ex.variable_values, query_type,
                                   ex.operation)
        self._check(collected)
        plan = RootPlan()
        owner = self.schema.get_type_by_name(query_type.name)
        rest: list[FieldNode] = []
        for key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                plan.steps.append(Const(key, query_type.name))
                continue
            gfield = query_type.fields.get(name)  # None: __schema, __type (introspection)
            spec = gfield and field_spec(owner, strawberry_field(gfield))  # type: ignore[arg-type]
            try:
                if isinstance(spec, ToMany):
                    plan.steps.append(ConnectionValue(key, self.connection(spec, gfield,
                                                                           details)))
                    continue
                if isinstance(spec, RootNode):
                    plan.steps.append(NodesValue(key, self.node_field(spec, gfield, details)))
                    continue
            except Unplannable:
                pass
            plan.steps.append(StrawberryRoot(key))
            rest.extend(d.node for d in details)
        if not any(isinstance(step, ConnectionValue | NodesValue) for step in plan.steps):
            raise Unplannable("no root field the planner covers")
        if rest:
            plan.rest = self.rest_document(rest)
        plan.subtrees = self.subtrees
        return plan

    def rest_document(self, fields: list[FieldNode]) -> DocumentNode:
        """The operation with only `fields` at its root (their own directives still apply;
        those of enclosing fragments were already true), and every fragment."""
        operation = self.executor.operation
        return DocumentNode(definitions=(
            OperationDefinitionNode(
                operation=operation.operation, name=operation.name,
                variable_definitions=operation.variable_definitions,
                directives=operation.directives,
                selection_set=SelectionSetNode(selections=tuple(fields)),
            ),
            *(f.definition for f in self.executor.fragments.values()),
        ))

    def _check(self, collected: Any) -> None:
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Unplannable("@defer")
        for details in collected.grouped_field_set.values():
            if any(d.fragment_variable_values is not None or d.defer_usage is not None
                   for d in details):
                raise Unplannable("fragment variables or @defer")

    def subfields(self, type_: GraphQLObjectType, details: list[FieldDetails]
                  ) -> dict[str, list[FieldDetails]]:
        collected = self.executor.collect_subfields(type_, details)
        self._check(collected)
        return collected.grouped_field_set

    def object(self, type_: GraphQLObjectType, details: list[FieldDetails], layout: Layout
               ) -> ObjectPlan:
        owner = self.schema.get_type_by_name(type_.name)
        node_type = table_node(owner) if owner is not None else None  # type: ignore[arg-type]
        if node_type is None:
            raise Unplannable(type_.name)
        plan = ObjectPlan(node_type, type_.name, layout)
        for key, sub in self.subfields(type_, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                plan.steps.append(Const(key, type_.name))
                continue
            gfield = type_.fields.get(name)
            spec = gfield and field_spec(owner, strawberry_field(gfield))  # type: ignore[arg-type]
            if isinstance(spec, Column):
                leaf = leaf_converter(gfield.type, redact=spec.redact)
                plan.steps.append(ColumnValue(key, layout.index(spec.column), leaf))
            elif isinstance(spec, GlobalId):
                plan.steps.append(GlobalIdValue(key, type_.name))
            elif isinstance(spec, ToOne | ToMany):
                try:
                    link = self.link(spec, gfield, sub, layout)
                except Unplannable:
                    plan.steps.append(ResolvedField(key))
                    plan.subtree[key] = sub
                    continue
                plan.steps.append(ToOneValue(key, link) if isinstance(link, OneLink)
                                  else ConnectionValue(key, link))
                plan.links.append(link)
            else:
                plan.steps.append(ResolvedField(key))
                plan.subtree[key] = sub
        if any(isinstance(step, GlobalIdValue | ConnectionValue | ResolvedField)
               for step in plan.steps):
            plan.ident = layout.index("id")
        if plan.subtree:
            self.subtrees = True
            plan.graphql_type = type_
            plan.node_columns = [layout.index(c) for c in node_type.columns()]
        plan.build = object_builder(plan)
        return plan

    def link(self, spec: ToOne | ToMany, gfield: GraphQLField, sub: list[FieldDetails],
             layout: Layout) -> OneLink | ManyLink:
        if isinstance(spec, ToMany):
            return self.connection(spec, gfield, sub)
        nullable = not isinstance(gfield.type, GraphQLNonNull)
        link = OneLink(layout.index(spec.key), spec.node_type, nullable)
        link.plan = self.object(_object_type(gfield.type), sub, link.layout)
        return link

    def connection(self, spec: ToMany, gfield: GraphQLField, details: list[FieldDetails]
                   ) -> ManyLink:
        link = ManyLink(spec, gfield, details[0].node,
                        Layout(offset=int(spec.per_parent), columns=[]))
        conn_type = _object_type(gfield.type)
        for key, sub in self.subfields(conn_type, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                link.steps.append(Const(key, conn_type.name))
            elif name == "totalCount":
                link.needs_count = True
                link.steps.append(TotalCount(key))
            elif name == "pageInfo":
                info = self.page_info(conn_type, sub)
                link.needs_cursor |= any(isinstance(s, StartCursor | EndCursor) for s in info)
                link.needs_more |= any(isinstance(s, HasNextPage | HasPreviousPage)
                                       for s in info)
                link.steps.append(PageInfo(key, info))
            elif name == "edges":
                link.steps.append(Edges(key, self.edges(link, conn_type, sub)))
            else:
                raise Unplannable(f"{conn_type.name}.{name}")
        link.build = connection_builder(link)
        return link

    def page_info(self, conn_type: GraphQLObjectType, details: list[FieldDetails]
                  ) -> tuple[PageInfoStep, ...]:
        info_type = _object_type(conn_type.fields["pageInfo"].type)
        steps: list[PageInfoStep] = []
        for key, sub in self.subfields(info_type, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                steps.append(Const(key, info_type.name))
            elif name in PAGE_INFO_FIELDS:
                steps.append(PAGE_INFO_FIELDS[name](key))
            else:
                raise Unplannable(f"PageInfo.{name}")
        return tuple(steps)

    def edges(self, link: ManyLink, conn_type: GraphQLObjectType, details: list[FieldDetails]
              ) -> tuple[EdgeStep, ...]:
        edge_type = _object_type(conn_type.fields["edges"].type)
        steps: list[EdgeStep] = []
        for key, sub in self.subfields(edge_type, details).items():
            name = sub[0].node.name.value
            if name == "__typename":
                steps.append(Const(key, edge_type.name))
            elif name == "cursor":
                link.needs_cursor = True
                steps.append(Cursor(key))
            elif name == "node":
                node_plan = self.object(_object_type(edge_type.fields["node"].type), sub,
                                        link.layout)
                link.node_plans.append(node_plan)
                steps.append(EdgeNode(key, node_plan))
            else:
                raise Unplannable(f"{edge_type.name}.{name}")
        return tuple(steps)

    def node_field(self, spec: RootNode, gfield: GraphQLField, details: list[FieldDetails]
                   ) -> NodeLink:
        link = NodeLink(spec.many, gfield, details[0].node)
        interface = gfield.type
        while isinstance(interface, (GraphQLNonNull, GraphQLList)):
            interface = interface.of_type
        for type_ in self.executor.schema.get_possible_types(interface):  # type: ignore[arg-type]
            try:
                link.plans[type_.name] = self.object(type_, details, Layout())
            except Unplannable:
                link.plans[type_.name] = None
        return link


def _object_type(type_: Any) -> GraphQLObjectType:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLObjectType):
        raise Unplannable(str(type_))
    return type_

