"""Reading back what a mutation wrote, through the request's loaders (DESIGN.md §5.2 habit 6:
clear the keys a write changed, so an earlier load in the same request is not served)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from graphql_schema.context import Info
from graphql_schema.relay import TableNode


def forget(info: Info, node_type: type[TableNode], key: Any) -> None:
    with suppress(KeyError):  # strawberry's DataLoader.clear raises for an unknown key
        info.context.loaders.node(node_type).clear(key)


async def fresh_node(info: Info, node_type: type[TableNode], key: Any) -> Any:
    """The node as the caller may read it now (None when it is gone or hidden)."""
    forget(info, node_type, key)
    return await info.context.loaders.node(node_type).load(key)
