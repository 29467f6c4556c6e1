"""Relay plumbing shared by every domain: table-backed nodes, keyset connections, cursors.

A connection field calls `resolve_connection(info, relation, node_type, parent_id, ...)`;
it validates the page arguments, turns filter and order inputs into a hashable `PageQuery`
and asks the per-request loader for that (relation, query), so all parents of one level are
read with one statement.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import orjson
import strawberry
from strawberry import relay

from db.columns import column_cast, column_python_type
from db.loaders.base import Condition, Order, Page, PageQuery, Relation
from graphql_schema.errors import BadUserInput, NotFound
from services.security.redaction import redact_secrets

if TYPE_CHECKING:
    from graphql_schema.context import Info

NodeT = TypeVar("NodeT")


class TableNode(relay.Node):
    """A Relay node whose fields are columns of `_table` (the Python name is the column name).

    `strawberry.Private` fields carry foreign keys that relation fields need but clients do not
    see. Instances are built straight from database records, in column order.
    """

    _table: ClassVar[str]
    _live_only: ClassVar[bool] = False
    _redacted: ClassVar[tuple[str, ...]] = ()  # JSON columns whose secret keys are masked

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return _columns(cls)

    @classmethod
    def from_record(cls, record: Any) -> Self:
        # Skips the dataclass __init__: records already hold exactly the fields, in order.
        node = cls.__new__(cls)
        values = node.__dict__
        values.update(zip(_columns(cls), record, strict=True))
        for name in cls._redacted:
            values[name] = redact_secrets(values[name])
        return node

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Self | None]:
        ids = [parse_uuid(i, "id") for i in node_ids]
        return await info.context.loaders.node(cls).load_many(ids)


@cache
def _columns(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        raise BadUserInput(f"{field}: not a valid id", field=field) from None


def decode_global_id(value: str, *, field: str = "id") -> tuple[str, uuid.UUID]:
    """(type name, uuid) of an opaque global ID; a clear error for anything malformed."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
        type_name, _, node_id = raw.partition(":")
        if not type_name or not node_id:
            raise ValueError
        return type_name, uuid.UUID(node_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadUserInput(f"{field}: {value!r} is not a valid global ID", field=field) from None


def decode_global_id_of(value: str, node_type: type[TableNode], *, field: str) -> uuid.UUID:
    type_name, key = decode_global_id(value, field=field)
    if type_name != node_type.__name__:
        raise NotFound(f"{field}: no {node_type.__name__} with this ID", field=field)
    return key


# -- cursors ------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    raise TypeError


def encode_cursor(order_name: str, values: tuple[Any, ...]) -> str:
    payload = orjson.dumps([order_name, list(values)], default=_json_default)
    return base64.urlsafe_b64encode(payload).decode()


def decode_cursor(cursor: str, order_name: str, types: tuple[type, ...], field: str) -> tuple:
    """Sort-key values from a cursor made for this order; BAD_USER_INPUT for anything else."""
    try:
        name, values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if name != order_name or len(values) != len(types):
            raise ValueError
        return tuple(_coerce(v, t) for v, t in zip(values, types, strict=True))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadUserInput(f"{field}: malformed cursor or cursor of another order",
                           field=field) from None


def _coerce(value: Any, typ: type) -> Any:
    if typ is datetime:
        return datetime.fromisoformat(value)
    if typ is uuid.UUID:
        return uuid.UUID(value)
    if typ is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if typ is float and isinstance(value, (int, float)):
        return float(value)
    if typ is str and isinstance(value, str):
        return value
    raise ValueError


# -- ordering and filtering ----------------------------------------------------------------


@strawberry.enum(description="Sort direction.")
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


class OrderField(enum.Enum):
    """Base of the per-type `...OrderField` enums; each value is a tuple of column names."""


def order_of(order_by: Any, default: Order) -> tuple[str, Order]:
    if order_by is None:
        return "default", default
    columns: tuple[str, ...] = order_by.field.value
    return (f"{order_by.field.name}:{order_by.direction.value}",
            Order(columns, descending=order_by.direction is OrderDirection.DESC))


FILTER_SUFFIXES = {
    "_in": "ANY",
    "_contains": "ILIKE",
    "_after": ">",
    "_before": "<",
    "_gte": ">=",
    "_lte": "<=",
}
_TIME_FILTERS = {"created_after": "created_at", "created_before": "created_at",
                 "updated_after": "updated_at", "updated_before": "updated_at"}


def conditions_of(table: str, filter_: Any) -> tuple[Condition, ...]:
    """Filter input fields become conditions by their names' suffix (`role_in`, `name_contains`).

    Enum values are stored by value; `..._id` fields hold global IDs and are decoded here.
    """
    if filter_ is None:
        return ()
    conditions = []
    for f in dataclasses.fields(filter_):
        value = getattr(filter_, f.name)
        if value is None or value is strawberry.UNSET:
            continue
        column, op = _TIME_FILTERS.get(f.name, f.name), "="
        for suffix, suffix_op in FILTER_SUFFIXES.items():
            if f.name.endswith(suffix) and f.name not in _TIME_FILTERS:
                column, op = f.name[: -len(suffix)], suffix_op
                break
        if f.name in _TIME_FILTERS:
            op = ">" if f.name.endswith("_after") else "<"
        value = _filter_value(column, value, uuid_column=_is_uuid(table, column))
        cast = column_cast(table, column)
        if op == "ANY":
            if len(value) > 100:
                raise BadUserInput(f"filter.{f.name}: at most 100 values", field=f.name)
            cast += "[]"
        elif op == "ILIKE":
            value = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(Condition(column, op, value, cast))
    return tuple(conditions)


def _filter_value(column: str, value: Any, *, uuid_column: bool) -> Any:
    if isinstance(value, list):
        return tuple(_filter_value(column, v, uuid_column=uuid_column) for v in value)
    if isinstance(value, enum.Enum):
        return value.value
    if uuid_column and isinstance(value, str):
        return decode_global_id(value, field=column)[1]
    return value


def _is_uuid(table: str, column: str) -> bool:
    """A foreign key (`..._id` holding a uuid) is filtered by global ID; a text column such as
    `request_id` by its own value."""
    return column.endswith("_id") and column_python_type(table, column) is uuid.UUID


# -- connections -----------------------------------------------------------------------------


@strawberry.type(name="Edge", description="An edge in a connection.")
class Edge(Generic[NodeT]):
    node: NodeT
    order_name: strawberry.Private[str]
    sort_key: strawberry.Private[tuple[Any, ...]]

    @strawberry.field(description="Opaque cursor for `after`/`before`.")
    def cursor(self) -> str:
        return encode_cursor(self.order_name, self.sort_key)


@strawberry.type(name="Connection", description="A page of a list, with cursors.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: relay.PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Number of items in the whole list (one extra query: ask only "
                                  "when you need it).")
    async def total_count(self) -> int:
        return await self.count()


@dataclasses.dataclass(frozen=True, slots=True)
class PageArgs:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


def page_query(
    node_type: type[TableNode], relation: Relation, args: PageArgs, filter_: Any, order_by: Any,
    *, default_size: int, max_size: int,
) -> tuple[str, PageQuery]:
    """Validate the page arguments and build the hashable query the loaders batch on."""
    for name in ("first", "last"):
        value = getattr(args, name)
        if value is not None and not 0 <= value <= max_size:
            raise BadUserInput(f"{name} must be between 0 and {max_size}, got {value}",
                               field=name)
    if args.first is not None and args.last is not None:
        raise BadUserInput("pass either first or last, not both", field="last")
    order_name, order = order_of(order_by, relation.default_order)
    types = tuple(column_python_type(relation.table, c) for c in order.columns)
    after = decode_cursor(args.after, order_name, types, "after") if args.after else None
    before = decode_cursor(args.before, order_name, types, "before") if args.before else None
    reverse = args.last is not None
    size = args.last if reverse else (args.first if args.first is not None else default_size)
    return order_name, PageQuery(
        limit=size + 1, order=order, conditions=conditions_of(relation.table, filter_),
        after=after, before=before, reverse=reverse,
    )


def build_connection(
    node_type: type[TableNode], order_name: str, query: PageQuery, page: Page, args: PageArgs,
    count: Callable[[], Awaitable[int]],
) -> Connection[Any]:
    columns = node_type.columns()
    positions = [columns.index(c) for c in query.order.columns]
    build = node_type.from_record
    edges = [
        Edge(node=build(r), order_name=order_name, sort_key=tuple(r[i] for i in positions))
        for r in page.rows
    ]
    if query.reverse:
        has_next, has_prev = args.before is not None, page.has_more
    else:
        has_next, has_prev = page.has_more, args.after is not None
    return Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next, has_previous_page=has_prev,
            start_cursor=edges[0].cursor() if edges else None,
            end_cursor=edges[-1].cursor() if edges else None,
        ),
        count=count,
    )


async def resolve_connection(
    info: Info, relation: Relation, node_type: type[TableNode], parent_id: uuid.UUID | None,
    args: PageArgs, filter_: Any = None, order_by: Any = None,
) -> Connection[Any]:
    ctx = info.context
    order_name, query = page_query(
        node_type, relation, args, filter_, order_by,
        default_size=ctx.settings.default_page_size, max_size=ctx.settings.max_page_size,
    )
    loaders = ctx.loaders
    if parent_id is None:
        page = await loaders.root_page(relation, node_type, query)

        async def count() -> int:
            return await loaders.root_count(relation, query.conditions)
    else:
        page = await loaders.page(relation, node_type, query).load(parent_id)

        async def count() -> int:
            return await loaders.count(relation, query.conditions).load(parent_id)

    return build_connection(node_type, order_name, query, page, args, count)
