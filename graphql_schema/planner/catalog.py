"""What the planner may compute itself, read off the schema: plain columns, global ids and
relation fields declared with `graphql_schema.relations` (`connection(...)`, `to_one(...)`).

A relation is recognised by the declaration its field carries as data, never by its name or
code: a hand-written resolver, a permission class, a field extension or a type overriding how
records become nodes makes the field unplannable, and the query then runs through strawberry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from db.loaders.base import Relation
from graphql_schema.relations import ConnectionDeclaration, ToOneDeclaration, declaration
from graphql_schema.relay import TableNode


@dataclass(frozen=True, slots=True)
class Column:
    column: str
    redact: bool


@dataclass(frozen=True, slots=True)
class GlobalId:
    pass


@dataclass(frozen=True, slots=True)
class ToOne:
    """A node loaded by the parent's foreign key column (None when the key is NULL)."""

    node_type: type[TableNode]
    key: str


@dataclass(frozen=True, slots=True)
class ToMany:
    """A connection over `relation`; per parent (`self.id`) or a root list."""

    relation: Relation
    node_type: type[TableNode]
    field: StrawberryField
    per_parent: bool


@dataclass(frozen=True, slots=True)
class RootNode:
    many: bool


Spec = Column | GlobalId | ToOne | ToMany | RootNode


def strawberry_field(graphql_field: Any) -> StrawberryField | None:
    found = (graphql_field.extensions or {}).get("strawberry-definition")
    return found if isinstance(found, StrawberryField) else None


@cache
def table_node(definition: StrawberryObjectDefinition) -> type[TableNode] | None:
    """The TableNode class behind a GraphQL object type, if it builds nodes the plain way."""
    cls = definition.origin
    if not (isinstance(cls, type) and issubclass(cls, TableNode)):
        return None
    plain = (
        cls.from_record.__func__ is TableNode.from_record.__func__  # type: ignore[attr-defined]
        and cls.resolve_id.__func__ is relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
        and cls.resolve_typename.__func__  # type: ignore[attr-defined]
        is relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
        and cls.resolve_id_attr() == "id"
        and "id" in cls.columns()
    )
    return cls if plain else None


def field_spec(owner: StrawberryObjectDefinition | None, field: StrawberryField | None
               ) -> Spec | None:
    """How the planner computes `field` of `owner`, or None when it must not."""
    if owner is None or field is None or field.permission_classes or field.extensions:
        return None
    return _spec(owner, field)


@cache
def _spec(owner: StrawberryObjectDefinition, field: StrawberryField) -> Spec | None:
    if owner.name == "Query":
        return _root_spec(field)
    cls = table_node(owner)
    if cls is None:
        return None
    resolver = field.base_resolver
    if resolver is None:
        if field.python_name in cls.columns():
            return Column(field.python_name, field.python_name in cls._redacted)
        return None
    if field.python_name == "_id":
        func = getattr(resolver.wrapped_func, "__func__", None)
        return GlobalId() if func is relay.Node.__dict__["_id"].__func__ else None
    spec = _declared_spec(field)
    if isinstance(spec, ToOne) and spec.key not in cls.columns():
        return None
    if isinstance(spec, ToMany) and not spec.per_parent:
        return None
    return spec


def _root_spec(field: StrawberryField) -> Spec | None:
    resolver = field.base_resolver
    if resolver is None:
        return None
    func = resolver.wrapped_func
    if func.__module__ == "graphql_schema.node" and func.__qualname__ in ("NodeQuery.node",
                                                                          "NodeQuery.nodes"):
        return RootNode(many=func.__qualname__ == "NodeQuery.nodes")
    spec = _declared_spec(field)
    return spec if isinstance(spec, ToMany) and not spec.per_parent else None


def _declared_spec(field: StrawberryField) -> ToOne | ToMany | None:
    """The relation `field` was declared as, if its node type builds nodes the plain way."""
    declared = declaration(field)
    if declared is None:
        return None
    node_type = declared.node_type
    if not (isinstance(node_type, type) and issubclass(node_type, TableNode)
            and table_node(node_type.__strawberry_definition__) is not None):
        return None
    if isinstance(declared, ToOneDeclaration):
        return ToOne(node_type, declared.key)
    assert isinstance(declared, ConnectionDeclaration)
    return ToMany(declared.relation, node_type, field, declared.per_parent)
