"""What the planner may compute itself, read off the schema: plain columns, global ids and
relations whose resolver is exactly one of the loader calls the types use.

A resolver is recognised by its source (one `return await ...` of a known shape, optionally
after local imports), never by its name: anything else, a permission class, a field extension
or a type overriding how records become nodes makes the field unplannable, and the query then
runs through strawberry.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from dataclasses import dataclass
from functools import cache
from typing import Any

from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from db.loaders.base import Relation
from graphql_schema import relay as relay_module
from graphql_schema.relay import TableNode

CONNECTION_PARAMS = ["self", "info", "first", "after", "last", "before", "filter", "order_by"]
PAGE_ARGS = ["first", "after", "last", "before"]


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
    spec = _resolver_spec(resolver.wrapped_func)
    if isinstance(spec, ToOne) and spec.key not in cls.columns():
        return None
    if isinstance(spec, ToMany) and not spec.per_parent:
        return None
    if isinstance(spec, ToMany):
        return ToMany(spec.relation, spec.node_type, field, True)
    return spec


def _root_spec(field: StrawberryField) -> Spec | None:
    resolver = field.base_resolver
    if resolver is None:
        return None
    func = resolver.wrapped_func
    if func.__module__ == "graphql_schema.node" and func.__qualname__ in ("NodeQuery.node",
                                                                          "NodeQuery.nodes"):
        return RootNode(many=func.__qualname__ == "NodeQuery.nodes")
    spec = _resolver_spec(func)
    if isinstance(spec, ToMany) and not spec.per_parent:
        return ToMany(spec.relation, spec.node_type, field, False)
    return None


def _resolver_spec(func: Any) -> ToOne | ToMany | None:
    """Match the resolver's source against the two shapes relation fields are written in."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    if not isinstance(tree, ast.AsyncFunctionDef):
        return None
    body = list(tree.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    local: dict[str, Any] = {}
    while body and isinstance(body[0], ast.ImportFrom):
        imp = body.pop(0)
        if imp.module is None or imp.level:
            return None
        module = importlib.import_module(imp.module)
        for alias in imp.names:
            local[alias.asname or alias.name] = getattr(module, alias.name)
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return None
    value = body[0].value
    if not (isinstance(value, ast.Await) and isinstance(value.value, ast.Call)):
        return None
    call = value.value
    params = [a.arg for a in tree.args.args]
    if tree.args.vararg or tree.args.kwarg or tree.args.kwonlyargs or tree.decorator_list[1:]:
        return None

    def lookup(node: ast.expr) -> Any:
        if not isinstance(node, ast.Name):
            return None
        return local.get(node.id, func.__globals__.get(node.id))

    if params == ["self", "info"]:
        return _to_one(call, lookup)
    if params == CONNECTION_PARAMS:
        return _to_many(call, lookup)
    return None


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_self_attr(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute) and _is_name(node.value, "self"):
        return node.attr
    return None


def _is_loaders(node: ast.expr) -> bool:
    """`info.context.loaders`"""
    return (isinstance(node, ast.Attribute) and node.attr == "loaders"
            and isinstance(node.value, ast.Attribute) and node.value.attr == "context"
            and _is_name(node.value.value, "info"))


def _node_type(value: Any) -> type[TableNode] | None:
    return value if isinstance(value, type) and issubclass(value, TableNode) else None


def _to_one(call: ast.Call, lookup: Any) -> ToOne | None:
    if call.keywords:
        return None
    func = call.func
    # info.context.loaders.node(T).load(self.key)
    if (isinstance(func, ast.Attribute) and func.attr == "load" and len(call.args) == 1
            and isinstance(func.value, ast.Call) and not func.value.keywords
            and isinstance(func.value.func, ast.Attribute) and func.value.func.attr == "node"
            and _is_loaders(func.value.func.value) and len(func.value.args) == 1):
        node_type, key = _node_type(lookup(func.value.args[0])), _is_self_attr(call.args[0])
    # info.context.loaders.load(T, self.key)
    elif (isinstance(func, ast.Attribute) and func.attr == "load" and _is_loaders(func.value)
          and len(call.args) == 2):
        node_type, key = _node_type(lookup(call.args[0])), _is_self_attr(call.args[1])
    else:
        return None
    if node_type is None or key is None or table_node(node_type.__strawberry_definition__) is None:
        return None
    return ToOne(node_type, key)


def _to_many(call: ast.Call, lookup: Any) -> ToMany | None:
    # resolve_connection(info, RELATION, T, self.id | None, PageArgs(first, after, last, before),
    #                    filter, order_by)
    if call.keywords or lookup(call.func) is not relay_module.resolve_connection:
        return None
    args = call.args
    if len(args) != 7 or not _is_name(args[0], "info"):
        return None
    relation, node_type = lookup(args[1]), _node_type(lookup(args[2]))
    per_parent = _is_self_attr(args[3]) == "id"
    if not per_parent and not (isinstance(args[3], ast.Constant) and args[3].value is None):
        return None
    page = args[4]
    if not (isinstance(page, ast.Call) and lookup(page.func) is relay_module.PageArgs
            and not page.keywords and len(page.args) == 4
            and all(_is_name(a, n) for a, n in zip(page.args, PAGE_ARGS, strict=True))):
        return None
    if not (_is_name(args[5], "filter") and _is_name(args[6], "order_by")):
        return None
    if not isinstance(relation, Relation) or node_type is None:
        return None
    if table_node(node_type.__strawberry_definition__) is None:
        return None
    if per_parent != (relation.parent_key is not None):
        return None
    return ToMany(relation, node_type, None, per_parent)  # type: ignore[arg-type]
