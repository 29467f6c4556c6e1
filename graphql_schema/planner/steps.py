"""The steps of a plan: what each response key of an object, a connection, an edge or a
pageInfo is made of. Each is a small frozen dataclass named for what it yields; builders
(codegen.py) and the run (execute.py) tell them apart by class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphql_schema.planner.plan import ManyLink, NodeLink, ObjectPlan, OneLink
    from graphql_schema.planner.values import Leaf


@dataclass(frozen=True, slots=True)
class Const:
    """A value known when planning (a `__typename`)."""

    key: str
    value: Any


# -- an object's keys (and the root's) ---------------------------------------------------

@dataclass(frozen=True, slots=True)
class ColumnValue:
    """A column of the object's row, converted as graphql-core would."""

    key: str
    index: int
    leaf: Leaf


@dataclass(frozen=True, slots=True)
class GlobalIdValue:
    """The relay global id: the type's name and the row's id."""

    key: str
    type_name: str


@dataclass(frozen=True, slots=True)
class ToOneValue:
    """A related object read by the key the row holds."""

    key: str
    link: OneLink


@dataclass(frozen=True, slots=True)
class ConnectionValue:
    """A connection: one page of related rows (per parent, or the root list)."""

    key: str
    link: ManyLink


@dataclass(frozen=True, slots=True)
class NodesValue:
    """Root `node(id:)` or `nodes(ids:)`."""

    key: str
    link: NodeLink


@dataclass(frozen=True, slots=True)
class StrawberryRoot:
    """A root field the planner does not cover: strawberry executes it beside the plan."""

    key: str


@dataclass(frozen=True, slots=True)
class ResolvedField:
    """A field with a resolver of its own: graphql-core executes it on the object's node."""

    key: str


ObjectStep = (Const | ColumnValue | GlobalIdValue | ToOneValue | ConnectionValue | NodesValue
              | StrawberryRoot | ResolvedField)


# -- a connection's keys ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TotalCount:
    key: str


@dataclass(frozen=True, slots=True)
class PageInfo:
    key: str
    steps: tuple[PageInfoStep, ...]


@dataclass(frozen=True, slots=True)
class Edges:
    key: str
    steps: tuple[EdgeStep, ...]


ConnectionStep = Const | TotalCount | PageInfo | Edges


# -- an edge's keys -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Cursor:
    key: str


@dataclass(frozen=True, slots=True)
class EdgeNode:
    key: str
    plan: ObjectPlan


EdgeStep = Const | Cursor | EdgeNode


# -- pageInfo's keys ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HasNextPage:
    key: str


@dataclass(frozen=True, slots=True)
class HasPreviousPage:
    key: str


@dataclass(frozen=True, slots=True)
class StartCursor:
    key: str


@dataclass(frozen=True, slots=True)
class EndCursor:
    key: str


PageInfoStep = Const | HasNextPage | HasPreviousPage | StartCursor | EndCursor
PAGE_INFO_FIELDS: dict[str, type[HasNextPage | HasPreviousPage | StartCursor | EndCursor]] = {
    "hasNextPage": HasNextPage, "hasPreviousPage": HasPreviousPage,
    "startCursor": StartCursor, "endCursor": EndCursor}
