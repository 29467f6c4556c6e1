"""`node(id)` and `nodes(ids)`: any object by its global ID, through the same scoped loaders."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable
from functools import cache
from typing import Any

import strawberry
from strawberry import relay

from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput, NotFound
from graphql_schema.relay import TableNode, decode_global_id

MAX_NODES = 100


@cache
def node_types() -> dict[str, type[TableNode]]:
    """Every table-backed node type by GraphQL name, from every domain's types module."""
    import graphql_schema

    for module in pkgutil.walk_packages(graphql_schema.__path__, "graphql_schema."):
        importlib.import_module(module.name)  # a node type may live in any schema module
    found: dict[str, type[TableNode]] = {}
    stack = list(TableNode.__subclasses__())
    while stack:
        cls = stack.pop()
        found[cls.__name__] = cls
        stack.extend(cls.__subclasses__())
    return found


async def load_node(info: Info, global_id: str, field: str) -> Any:
    type_name, key = decode_global_id(global_id, field=field)
    node_type = node_types().get(type_name)
    node = None if node_type is None else await info.context.loaders.node(node_type).load(key)
    if node is None:
        raise NotFound(f"Could not resolve to a node with the global ID {global_id!r}",
                       field=field)
    return node


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Fetch any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return await load_node(info, id, "id")

    @strawberry.field(description=f"Fetch up to {MAX_NODES} objects by global ID, in order.")
    def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"ids: at most {MAX_NODES} IDs", field="ids")
        items: list[Awaitable[Any]] = [load_node(info, i, "ids") for i in ids]
        return items  # type: ignore[return-value]
