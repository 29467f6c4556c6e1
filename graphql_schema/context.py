"""The typed per-request context, and the lazily built DataLoaders it carries."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from db.columns import column_cast
from db.loaders.base import (
    Condition,
    Page,
    PageQuery,
    Relation,
    fetch_by_ids,
    fetch_counts,
    fetch_pages,
    fetch_root_page,
)
from db.scope import Principal
from db.session import Database
from services.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.websockets import WebSocket

    from graphql_schema.relay import TableNode
    from services.pubsub import PubSub


class Loaders:
    """One DataLoader per (relation, page query) and per node type, created on first use.

    Every parent of one query level asks the same loader, so the level costs one statement.
    """

    def __init__(self, db: Database, principal: Principal) -> None:
        self._db = db
        self._principal = principal
        self._nodes: dict[tuple[type, str], DataLoader[Any, Any]] = {}
        self._pages: dict[tuple[Relation, type, PageQuery], DataLoader[uuid.UUID, Page]] = {}
        self._counts: dict[tuple[Relation, tuple[Condition, ...]], DataLoader[uuid.UUID, int]] = {}
        self._batches: dict[Callable[..., Any], DataLoader[Any, Any]] = {}

    def batch(self, load: Callable[[Database, list[Any]], Awaitable[list[Any]]]
              ) -> DataLoader[Any, Any]:
        """A loader around a batch function of db/loaders (`(db, keys)` -> values in key
        order), for values that are not rows of a node type (a group's codenames, a
        deployment's live metrics). Its keys come from nodes the caller could read, so the
        function does no scoping of its own."""
        loader = self._batches.get(load)
        if loader is None:
            db = self._db

            async def run(keys: list[Any]) -> list[Any]:
                return await load(db, keys)

            loader = self._batches[load] = DataLoader(load_fn=run)
        return loader

    def node(self, node_type: type[TableNode], key: str = "id") -> DataLoader[Any, Any]:
        """Nodes by primary key, or by another unique column such as `slug`."""
        loader = self._nodes.get((node_type, key))
        if loader is None:
            db, principal, columns = self._db, self._principal, node_type.columns()
            build, live_only = node_type.from_record, node_type._live_only
            key_cast = column_cast(node_type._table, key)

            async def load(keys: list[Any]) -> list[Any]:
                rows = await fetch_by_ids(db, node_type._table, columns, principal, keys,
                                          live_only=live_only, key_column=key, key_cast=key_cast)
                return [build(r) if r is not None else None for r in rows]

            loader = self._nodes[(node_type, key)] = DataLoader(load_fn=load)
        return loader

    async def load(self, node_type: type[TableNode], key: Any) -> Any:
        """The node a foreign key points at; None for an unset (NULL) key."""
        if key is None:
            return None
        return await self.node(node_type).load(key)

    def page(
        self, relation: Relation, node_type: type[TableNode], query: PageQuery
    ) -> DataLoader[uuid.UUID, Page]:
        key = (relation, node_type, query)
        loader = self._pages.get(key)
        if loader is None:
            db, principal, columns = self._db, self._principal, node_type.columns()
            casts = [column_cast(relation.table, c) for c in query.order.columns]

            async def load(keys: list[uuid.UUID]) -> list[Page]:
                return await fetch_pages(db, relation, columns, casts, principal, query, keys)

            loader = self._pages[key] = DataLoader(load_fn=load)
        return loader

    def count(
        self, relation: Relation, conditions: tuple[Condition, ...]
    ) -> DataLoader[uuid.UUID, int]:
        key = (relation, conditions)
        loader = self._counts.get(key)
        if loader is None:
            db, principal = self._db, self._principal

            async def load(keys: list[uuid.UUID]) -> list[int]:
                return await fetch_counts(db, relation, principal, conditions, keys)

            loader = self._counts[key] = DataLoader(load_fn=load)
        return loader

    async def root_page(
        self, relation: Relation, node_type: type[TableNode], query: PageQuery
    ) -> Page:
        casts = [column_cast(relation.table, c) for c in query.order.columns]
        return await fetch_root_page(self._db, relation, node_type.columns(), casts,
                                     self._principal, query)

    async def root_count(self, relation: Relation, conditions: tuple[Condition, ...]) -> int:
        return (await fetch_counts(self._db, relation, self._principal, conditions, None))[0]


@dataclass
class Context:
    """What every resolver may use; never a dict (DESIGN.md §5.2 habit 3)."""

    settings: Settings
    db: Database
    redis: Redis
    principal: Principal
    pubsub: PubSub | None = None
    request: Request | WebSocket | None = None
    response: Response | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.principal)


Info: TypeAlias = StrawberryInfo[Context, None]
