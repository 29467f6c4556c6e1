"""Relation fields declared once: a connection over a `Relation`, or a node by a foreign key.

`connection(...)` and `to_one(...)` return strawberry fields whose resolvers only call the
loaders, and which carry their declaration as data (`field.metadata[DECLARATION]`): the
planner's catalog reads that instead of guessing from code. A field with logic of its own
is written by hand and has no declaration, so the planner leaves it to strawberry.

Types from other modules (or defined further down the same one) are named with
`lazy("Name", module)`, strawberry's lazy annotation, resolved when the schema is built.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.lazy_type import StrawberryLazyReference

from db.loaders.base import Relation
from graphql_schema.context import Info
from graphql_schema.relay import Connection, PageArgs, resolve_connection

if TYPE_CHECKING:
    from graphql_schema.relay import TableNode

DECLARATION = "relation"
"""The key of a relation field's declaration in its strawberry `metadata`."""


def lazy(name: str, module: str) -> Any:
    """`Annotated["Name", strawberry.lazy(module)]`: a type imported when the schema is built."""
    return Annotated[name, strawberry.lazy(module)]


def _resolve(ref: Any) -> Any:
    """The class behind a type or a `lazy(...)` reference (import it only once the schema is
    being built: before that, the module may still be half-imported)."""
    if typing.get_origin(ref) is Annotated:
        name = typing.get_args(ref)[0]
        for meta in ref.__metadata__:
            if isinstance(meta, StrawberryLazyReference):
                return meta.resolve_forward_ref(name).resolve_type()
    return ref


@dataclass(frozen=True, eq=False)
class ToOneDeclaration:
    """The node whose id is in the parent's column `key` (None when the key is NULL)."""

    node: Any  # the node class or a lazy(...) reference to it
    key: str

    @cached_property
    def node_type(self) -> type[TableNode]:
        return _resolve(self.node)


@dataclass(frozen=True, eq=False)
class ConnectionDeclaration:
    """A page of `relation`: the parent's children, or a root list when it has no parent key."""

    node: Any
    relation: Relation

    @cached_property
    def node_type(self) -> type[TableNode]:
        return _resolve(self.node)

    @property
    def per_parent(self) -> bool:
        return self.relation.parent_key is not None


Declaration = ToOneDeclaration | ConnectionDeclaration


def declaration(field_: Any) -> Declaration | None:
    """The relation a strawberry field was declared as, if it was made here."""
    found = (getattr(field_, "metadata", None) or {}).get(DECLARATION)
    return found if isinstance(found, (ToOneDeclaration, ConnectionDeclaration)) else None


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty
           ) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                             default=default, annotation=annotation)


def connection(relation: Relation, node: Any, filter: Any, order: Any, *,
               description: str | None = None) -> Any:
    """A connection field over `relation` with the usual page, filter and order arguments.

    A relation with a parent key pages per parent (`self.id`); one without is a root list.
    """
    declared = ConnectionDeclaration(node, relation)
    parent = relation.parent_key is not None

    async def resolve(self: Any, info: Info, first: int | None = None,
                      after: str | None = None, last: int | None = None,
                      before: str | None = None, filter: Any = None, order_by: Any = None,
                      ) -> Connection[Any]:
        return await resolve_connection(info, relation, declared.node_type,
                                        self.id if parent else None,
                                        PageArgs(first, after, last, before), filter, order_by)

    arguments = (("first", int | None), ("after", str | None), ("last", int | None),
                 ("before", str | None), ("filter", filter | None), ("order_by", order | None))
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_param("self", Any), _param("info", Info),
         *(_param(name, annotation, None) for name, annotation in arguments)],
        return_annotation=Connection[node],  # type: ignore[valid-type]
    )
    return strawberry.field(resolver=resolve, description=description,
                            metadata={DECLARATION: declared})


def to_one(node: Any, key: str, *, description: str | None = None) -> Any:
    """A nullable field holding the node whose id is in the parent's column `key`."""
    declared = ToOneDeclaration(node, key)

    async def resolve(self: Any, info: Info) -> Any:
        return await info.context.loaders.load(declared.node_type, getattr(self, key))

    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_param("self", Any), _param("info", Info)],
        return_annotation=node | None,
    )
    return strawberry.field(resolver=resolve, description=description,
                            metadata={DECLARATION: declared})
