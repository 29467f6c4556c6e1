"""The executor: runs a plan breadth-first, then assembles the answer as plain dicts.

For each relation of a level, the keys of all its parents go into one statement built by the
loaders' own SQL builders (`page_sql`, `fetch_root_page`, `fetch_counts`, `fetch_by_ids`),
which scope every read through `db/scope.py`; only the columns the selection needs (plus keys
and sort columns) are read. The answer is then built by the plans' generated builders
(codegen.py). Anything the reference path would answer with an error raises `Fallback`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import itemgetter
from typing import Any

import strawberry
from graphql import Executor, GraphQLError, VariableValues
from graphql.execution import get_argument_values

from db.columns import column_cast
from db.loaders.base import (
    Page,
    PageQuery,
    fetch_by_ids,
    fetch_counts,
    fetch_root_page,
    page_sql,
)
from db.scope import Principal
from db.session import Database
from graphql_schema.node import MAX_NODES, node_types
from graphql_schema.planner.page_queries import pages_asked
from graphql_schema.planner.plan import ManyLink, NodeLink, ObjectPlan, OneLink, RootPlan
from graphql_schema.planner.steps import (
    ConnectionValue,
    Const,
    EndCursor,
    HasNextPage,
    HasPreviousPage,
    NodesValue,
    PageInfoStep,
    StartCursor,
)
from graphql_schema.planner.values import Fallback
from graphql_schema.relay import PageArgs, decode_global_id, encode_cursor
from services import telemetry
from services.availability import outage_of
from services.settings import Settings

EMPTY = Page()


@dataclass(slots=True)
class Pages:
    """One connection field's pages for all parents of its level (the root: key None)."""

    order_name: str
    args: PageArgs
    reverse: bool
    positions: list[int]
    by_parent: dict[uuid.UUID | None, Page]
    counts: dict[uuid.UUID | None, int] = field(default_factory=dict)


@dataclass(eq=False)
class Run:
    """One request's execution of a (shared, cached) plan."""

    schema: strawberry.Schema
    db: Database
    principal: Principal
    settings: Settings
    variables: VariableValues
    executor: Executor | None = None  # for resolved fields (strawberry's, with the context)
    variables_key: bytes | None = None  # the variables' JSON, when the caller has it
    ones: dict[OneLink, dict[Any, Any]] = field(default_factory=dict)
    pages: dict[ManyLink, Pages] = field(default_factory=dict)
    nodes: dict[NodeLink, list[tuple[ObjectPlan, Any]]] = field(default_factory=dict)
    # rows of plans with resolved fields, and those fields' values by (plan, id)
    pending: list[tuple[ObjectPlan, list[Any]]] = field(default_factory=list)
    subtrees: dict[tuple[ObjectPlan, Any], dict[str, Any]] = field(default_factory=dict)

    async def execute(self, plan: RootPlan) -> dict[str, Any]:
        """The planned root fields' answers (strawberry executes the others)."""
        jobs: list[Awaitable[None]] = []
        for step in plan.steps:
            if isinstance(step, ConnectionValue):
                jobs.append(self.fetch_many(step.link, None))
            elif isinstance(step, NodesValue):
                jobs.append(self.fetch_nodes(step.link))
        await _all(jobs)
        if self.pending:
            await self.execute_subtrees()
        data: dict[str, Any] = {}
        for step in plan.steps:
            if isinstance(step, Const):
                data[step.key] = step.value
            elif isinstance(step, ConnectionValue):
                data[step.key] = step.link.build(self, None)
            elif isinstance(step, NodesValue):
                found = [p.build(row, self) for p, row in self.nodes[step.link]]
                data[step.key] = found if step.link.many else found[0]
        return data

    # -- fetching, one statement per relation and level -----------------------------------

    async def fetch_children(self, plans: Sequence[ObjectPlan], rows: list[Any]) -> None:
        self.pending.extend((plan, rows) for plan in plans if plan.subtree and rows)
        if rows:
            # connections first: they are the longer statements, and each job runs up to
            # its first round trip before the next one starts
            await _all([self.fetch_many(link, [r[plan.ident] for r in rows])
                        for plan in plans for link in plan.links if isinstance(link, ManyLink)]
                       + [self.fetch_one(link, rows)
                          for plan in plans for link in plan.links if isinstance(link, OneLink)])

    async def fetch_one(self, link: OneLink, rows: list[Any]) -> None:
        if not telemetry.tracing():
            return await self._fetch_one(link, rows)
        assert link.plan is not None
        with _level_span(link.plan.type_name, len(rows)):
            return await self._fetch_one(link, rows)

    async def _fetch_one(self, link: OneLink, rows: list[Any]) -> None:
        i = link.key_index
        keys = list(dict.fromkeys(r[i] for r in rows if r[i] is not None))
        if not keys:
            self.ones[link] = {}
            return
        node_type, plan = link.node_type, link.plan
        assert plan is not None
        # The child's connections hang off its id, which the parents' column already holds:
        # they are fetched beside the child itself, one round trip earlier. (A child that
        # turns out not visible is null, so its pages are never read.)
        # (Connections first, as in fetch_children: the longer statements start sooner.)
        early = [c for c in plan.links if isinstance(c, ManyLink)]
        *_, found = await _all([
            *(self.fetch_many(c, keys) for c in early),
            fetch_by_ids(self.db, node_type._table, link.layout.columns, self.principal, keys,
                         live_only=node_type._live_only)])
        self.ones[link] = dict(zip(keys, found, strict=True))
        rows = [r for r in found if r is not None]
        if plan.subtree and rows:
            self.pending.append((plan, rows))
        if rows and len(early) < len(plan.links):
            await _all([self.fetch_one(c, rows) for c in plan.links
                        if isinstance(c, OneLink)])

    def arguments(self, field_def: Any, field_node: Any) -> dict[str, Any]:
        return get_argument_values(field_def, field_node, self.variables)

    async def fetch_many(self, link: ManyLink, parents: list[uuid.UUID] | None) -> None:
        """The pages of a connection for all `parents` of its level (None: the root list)."""
        if not telemetry.tracing():
            return await self._fetch_many(link, parents)
        with _level_span(link.field_node.name.value, len(parents or ())):
            return await self._fetch_many(link, parents)

    async def _fetch_many(self, link: ManyLink, parents: list[uuid.UUID] | None) -> None:
        spec = link.spec
        args, order_name, query = self.page_query(link)
        relation, order, offset = spec.relation, query.order.columns, link.layout.offset
        columns = link.layout.columns or ["id"]  # (a page of `__typename`s only)
        if link.needs_cursor:
            columns = columns + [c for c in order if c not in columns]
        casts = [column_cast(relation.table, c) for c in order]
        positions = [offset + columns.index(c) for c in order] if link.needs_cursor else []
        pages = Pages(order_name, args, query.reverse, positions, {})
        self.pages[link] = pages
        if parents is None:
            jobs: list[Awaitable[Any]] = [
                fetch_root_page(self.db, relation, columns, casts, self.principal, query)]
            if link.needs_count:
                jobs.append(fetch_counts(self.db, relation, self.principal, query.conditions,
                                         None))
            found = await _all(jobs)
            pages.by_parent[None] = found[0]
            if link.needs_count:
                pages.counts[None] = found[1][0]
        else:
            keys = list(dict.fromkeys(parents))
            jobs = [self.fetch_pages(link, columns, casts, query, keys, more=link.needs_more)]
            if link.needs_count:
                jobs.append(fetch_counts(self.db, relation, self.principal, query.conditions,
                                         keys))
            found = await _all(jobs)
            pages.by_parent = dict(zip(keys, found[0], strict=True))
            if link.needs_count:
                pages.counts = dict(zip(keys, found[1], strict=True))
        if any(plan.links or plan.subtree for plan in link.node_plans):
            await self.fetch_children(
                link.node_plans, [r for page in pages.by_parent.values() for r in page.rows])

    def page_query(self, link: ManyLink) -> tuple[PageArgs, str, PageQuery]:
        return pages_asked(self.schema, self.settings, link, self.variables_key,
                           lambda: self.arguments(link.field_def, link.field_node))

    async def fetch_nodes(self, link: NodeLink) -> None:
        if not telemetry.tracing():
            return await self._fetch_nodes(link)
        with _level_span(link.field_node.name.value, 0):
            return await self._fetch_nodes(link)

    async def _fetch_nodes(self, link: NodeLink) -> None:
        arguments = self.arguments(link.field_def, link.field_node)
        ids = arguments["ids"] if link.many else [arguments["id"]]
        if len(ids) > MAX_NODES:
            raise Fallback
        wanted: list[tuple[ObjectPlan, uuid.UUID]] = []
        for global_id in ids:
            type_name, key = decode_global_id(global_id)
            node_type = node_types().get(type_name)
            plan = None if node_type is None else link.plans.get(
                node_type.__strawberry_definition__.name)
            if plan is None:
                raise Fallback  # NOT_FOUND, or a type the planner does not cover
            wanted.append((plan, key))
        by_plan: dict[ObjectPlan, list[uuid.UUID]] = {}
        for plan, key in wanted:
            by_plan.setdefault(plan, []).append(key)
        plans = list(by_plan)
        found = await _all([self.fetch_by_ids(p, list(dict.fromkeys(by_plan[p]))) for p in plans])
        rows = {(p, k): r for p, got in zip(plans, found, strict=True) for k, r in got.items()}
        if any(r is None for r in rows.values()):
            raise Fallback  # NOT_FOUND (missing, deleted or not visible)
        self.nodes[link] = [(p, rows[p, k]) for p, k in wanted]
        await _all([self.fetch_children([p], [r for r in got.values()])
                    for p, got in zip(plans, found, strict=True)])

    async def fetch_pages(self, link: ManyLink, columns: list[str], casts: list[str],
                          query: PageQuery, keys: list[uuid.UUID], *, more: bool) -> list[Page]:
        """`fetch_pages`' statement (`page_sql`), with rows kept as records: each starts with
        its parent's position, which the layout's offset skips, so no row is copied. Unless
        `more` (the answer tells whether pages go on), the extra row per page is not read:
        10 % fewer rows for pages of 10."""
        if not more:
            query = replace(query, limit=query.limit - 1)
        params: list[Any] = [keys]
        sql = page_sql(link.spec.relation, columns, query, casts, self.principal, params)
        found = {ord_: list(rows) for ord_, rows in groupby(await self.db.fetch(sql, *params),
                                                             itemgetter(0))}
        limit = query.limit
        pages = []
        for position in range(1, len(keys) + 1):
            rows = found.get(position)
            if not rows:
                pages.append(EMPTY)
                continue
            page = Page(rows)
            if more and len(rows) >= limit:  # the extra row: there is a next page
                page.has_more = True
                del rows[limit - 1:]
            if query.reverse:
                rows.reverse()
            pages.append(page)
        return pages

    async def fetch_by_ids(self, plan: ObjectPlan, keys: list[uuid.UUID]) -> dict[Any, Any]:
        node_type = plan.node_type
        found = await fetch_by_ids(self.db, node_type._table, plan.layout.columns,
                                   self.principal, keys, live_only=node_type._live_only)
        return dict(zip(keys, found, strict=True))

    async def execute_subtrees(self) -> None:
        """The resolved fields of every fetched object: graphql-core executes those fields on
        the object's node, as strawberry would (resolvers, loaders, permissions). An error
        raises Fallback, so strawberry answers the request with the error in its place,
        unless it is an outage of PostgreSQL or Redis: that is raised as it is (strawberry
        would meet it again)."""
        executor = self.executor
        if executor is None:
            raise Fallback
        keys: list[tuple[ObjectPlan, Any]] = []
        results: list[Any] = []
        try:
            for plan, rows in self.pending:
                assert plan.graphql_type is not None
                for row in rows:
                    key = (plan, row[plan.ident])
                    if key in self.subtrees:
                        continue
                    self.subtrees[key] = {}
                    node = plan.node_type.from_record([row[i] for i in plan.node_columns])
                    keys.append(key)
                    results.append(executor.execute_fields(
                        plan.graphql_type, node, None, plan.subtree, None))
            waiting = [i for i, r in enumerate(results) if executor.is_awaitable(r)]
            if waiting:
                done = await _all([results[i] for i in waiting])
                for i, value in zip(waiting, done, strict=True):
                    results[i] = value
        except GraphQLError as error:  # a non-null field's error: strawberry gives it
            _raise_outage([error])
            raise Fallback from None
        if executor.collected_errors.errors:
            _raise_outage(executor.collected_errors.errors)
            raise Fallback
        self.subtrees.update(zip(keys, results, strict=True))

    # -- assembling (the builders are generated per plan, see codegen.py) ---------------

    empty = EMPTY

    def one(self, link: OneLink, key: Any) -> dict[str, Any] | None:
        child = None if key is None else self.ones[link].get(key)
        if child is not None:
            assert link.plan is not None
            return link.plan.build(child, self)
        if link.nullable:
            return None
        raise Fallback

    @staticmethod
    def cursor(pages: Pages, row: Any) -> str:
        return encode_cursor(pages.order_name, tuple(row[i] for i in pages.positions))

    def page_info(self, pages: Pages, page: Page, steps: tuple[PageInfoStep, ...]
                  ) -> dict[str, Any]:
        if pages.reverse:
            has_next, has_previous = pages.args.before is not None, page.has_more
        else:
            has_next, has_previous = page.has_more, pages.args.after is not None
        rows = page.rows
        out: dict[str, Any] = {}
        for step in steps:
            if isinstance(step, HasNextPage):
                out[step.key] = has_next
            elif isinstance(step, HasPreviousPage):
                out[step.key] = has_previous
            elif isinstance(step, StartCursor):
                out[step.key] = self.cursor(pages, rows[0]) if rows else None
            elif isinstance(step, EndCursor):
                out[step.key] = self.cursor(pages, rows[-1]) if rows else None
            elif isinstance(step, Const):
                out[step.key] = step.value
        return out


def _raise_outage(errors: Sequence[GraphQLError]) -> None:
    """Raise the outage behind any of `errors` (a resolver that met a stopped database)."""
    for error in errors:
        if error.original_error is not None and (down := outage_of(error.original_error)):
            raise down


def _level_span(name: str, parents: int) -> Any:
    """A relation of a plan level as a span (tracing on): the statements that fetch it, and
    the next level's relations, are its children, so a trace shows the plan's levels."""
    return telemetry.span(f"planner {name}", {"aiplatform.planner.relation": name,
                                              "aiplatform.planner.parents": parents})


async def _all(jobs: Sequence[Awaitable[Any]]) -> list[Any]:
    """Run concurrently; the first failure is raised once every job has finished."""
    if len(jobs) == 1:
        return [await jobs[0]]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
