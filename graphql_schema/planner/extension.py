"""The hook: a schema extension that answers a plannable query before graphql-core executes.

It runs in strawberry's `on_execute`, after parsing and validation (depth, alias and token
limits included) and inside the same operation, so error masking and everything around the
execution stay as they are. Root fields the planner does not cover (`viewer`, `search`) are
executed by graphql-core beside the planned ones and merged in selection order; a field with
a resolver of its own below a planned one (`downloadUrl`) is executed by graphql-core on its
object's node, that field only. Mutations, subscriptions, sockets, operations with no
plannable root field, and any planned answer that would carry an error are executed by
strawberry as usual.

An operation answered whole once is afterwards answered by `answer_known` as soon as the
HTTP request is read (app/graphql_app.py): same text, no parsing, validation or extensions.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import strawberry
from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    execute,
    visit,
)
from graphql.execution import executor as graphql_executor
from graphql.execution.executor import Executor
from starlette.websockets import WebSocket
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from db.scope import Principal
from db.session import Database
from graphql_schema.context import Context
from graphql_schema.planner.execute import Run
from graphql_schema.planner.plan import REST, Compiler, RootPlan, Unplannable
from graphql_schema.planner.values import Fallback
from services.settings import Settings

log = logging.getLogger("aiplatform.planner")
VALUES_PER_DOCUMENT = 64
T = TypeVar("T")


def get_variable_values(*args: Any) -> Any:
    """graphql-core's variable coercion as its executor calls it (fast_variables may have
    wrapped it there)."""
    return graphql_executor.get_variable_values(*args)


@dataclass(eq=False)
class _Document:
    """One (document, operation): the variables its @include/@skip read, and its plans."""

    directive_variables: tuple[str, ...]
    plans: dict[tuple[Any, ...], RootPlan | None] = field(default_factory=dict)
    # Set once strawberry's pipeline has parsed, validated and limited this operation and the
    # planner answered it whole: later HTTP requests with the same text skip that pipeline.
    variable_definitions: tuple[VariableDefinitionNode, ...] | None = None
    # the coerced variables of recent requests, by their JSON (the same values come again)
    values: OrderedDict[bytes, Any] = field(default_factory=OrderedDict)


class _DirectiveVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        if node.name.value in ("include", "skip"):
            for argument in node.arguments:
                if isinstance(argument.value, VariableNode):
                    self.names.append(argument.value.name.value)


@dataclass(slots=True)
class KnownAnswer:
    """A known query's data, with the run that fetched it: the caller keeps both until the
    response is sent, so the run's rows are freed after it (for the nested benchmark query,
    ≈ 5,000 records: ≈ 0.5 ms less before the answer leaves)."""

    data: dict[str, Any]
    run: Run


@dataclass(eq=False)
class QueryPlanner:
    """Compiled plans by document text and operation name (LRU), and what happened to
    requests (`stats`: planned, partial, fallback, unplannable; known: planned without
    strawberry's pipeline; subtrees: planned with fields graphql-core executed), shared by
    all requests of a schema."""

    maxsize: int = 1024
    documents: OrderedDict[tuple[str, str | None], _Document] = field(
        default_factory=OrderedDict)
    stats: Counter[str] = field(default_factory=Counter)

    def plan(self, schema: strawberry.Schema, query: str, document: DocumentNode,
             executor: Executor, operation_name: str | None) -> RootPlan | None:
        key = (query, operation_name)
        entry = self.documents.get(key)
        if entry is None:
            names = _DirectiveVariables()
            visit(document, names)
            entry = self.documents[key] = _Document(tuple(dict.fromkeys(names.names)))
            if len(self.documents) > self.maxsize:
                self.documents.popitem(last=False)
        else:
            self.documents.move_to_end(key)
        coerced = executor.variable_values.coerced
        values = tuple(coerced.get(n) for n in entry.directive_variables)
        if values not in entry.plans:
            try:
                entry.plans[values] = Compiler(schema, executor).root()
            except Unplannable as reason:
                log.debug("not planned: %s", reason)
                entry.plans[values] = None
            except Exception:  # a planner bug must not cost the request: strawberry answers
                log.exception("planning failed; strawberry executes this operation")
                entry.plans[values] = None
        return entry.plans[values]

    async def answer(self, execution_context: Any) -> ExecutionResult | None:
        """The planned answer, or None when strawberry has to execute this request."""
        context = execution_context.context
        if (execution_context.operation_type is not OperationType.QUERY
                or not isinstance(context, Context) or isinstance(context.request, WebSocket)
                or not isinstance(execution_context.query, str)
                or execution_context.graphql_document is None):
            return None
        # the name as the client sent it (None for a document's only operation), as
        # answer_known sees it
        name = getattr(execution_context, "_provided_operation_name",
                       execution_context.operation_name)
        known = self.documents.get((execution_context.query, name))
        if known is not None and not known.directive_variables and known.plans.get((), 0) is None:
            self.stats["unplannable"] += 1  # known not to be plannable: skip the set-up
            return None
        schema = execution_context.schema
        document = execution_context.graphql_document
        executor = Executor.build(schema._schema, document, None, context,
                                  execution_context.variables,
                                  execution_context.operation_name)
        if isinstance(executor, list):
            return None  # variable errors: strawberry reports them
        plan = self.plan(schema, execution_context.query, document, executor, name)
        if plan is None:
            self.stats["unplannable"] += 1
            return None
        run = Run(schema, context.db, context.principal, context.settings,
                  executor.variable_values, executor)
        rest = None if plan.rest is None else self.execute_rest(plan.rest, execution_context)
        if rest is None:
            data = await self._attempt(run.execute(plan))
        else:
            both = await self._attempt(_both(run.execute(plan), rest))
            data, rest_result = both if both is not None else (None, None)
        if data is None:
            return None
        if plan.subtrees:
            self.stats["subtrees"] += 1
        if rest is None:
            self.stats["planned"] += 1
            known = self.documents.get((execution_context.query, name))
            if known is not None and known.variable_definitions is None:
                known.variable_definitions = tuple(executor.operation.variable_definitions or ())
            return ExecutionResult(data=data, errors=None)
        self.stats["partial"] += 1
        return merge(plan, data, rest_result)

    async def answer_known(self, schema: strawberry.Schema, query: str,
                           operation_name: str | None, variables: dict[str, Any] | None,
                           db: Database, principal: Principal, settings: Settings
                           ) -> KnownAnswer | None:
        """The data of an operation this planner has answered whole before, without
        strawberry's pipeline (≈ 60 % of a small request's CPU); None when the request has
        to take the usual way (unknown text, variable errors, an answer with an error)."""
        key = (query, operation_name)
        entry = self.documents.get(key)
        if entry is None or entry.variable_definitions is None:
            return None
        self.documents.move_to_end(key)
        raw = orjson.dumps(variables or {})
        values = entry.values.get(raw)
        if values is None:
            values = get_variable_values(schema._schema, entry.variable_definitions,
                                         variables or {})
            if isinstance(values, list):
                return None  # strawberry reports the variable errors
            entry.values[raw] = values
            if len(entry.values) > VALUES_PER_DOCUMENT:
                entry.values.popitem(last=False)
        coerced = values.coerced
        plan = entry.plans.get(tuple(coerced.get(n) for n in entry.directive_variables))
        if plan is None or plan.rest is not None or plan.subtrees:
            return None  # not compiled for these values yet, or strawberry has a part
        run = Run(schema, db, principal, settings, values, variables_key=raw)
        data = await self._attempt(run.execute(plan))
        if data is None:
            return None
        self.stats["planned"] += 1
        self.stats["known"] += 1
        return KnownAnswer(data, run)

    async def _attempt(self, job: Awaitable[T]) -> T | None:
        """The planned result, or None (a fallback) when strawberry has to answer: an error
        answer (strawberry gives it, with its path) or a failure that is not the client's
        doing (a planner bug, the database), which strawberry answers the same way."""
        try:
            return await job
        except (Fallback, GraphQLError):
            pass
        except Exception:
            log.warning("planned execution failed; strawberry executes this request",
                        exc_info=True)
        self.stats["fallback"] += 1
        return None

    async def execute_rest(self, document: DocumentNode, execution_context: Any
                           ) -> ExecutionResult:
        """The root fields the planner does not cover, executed as strawberry would."""
        result = execute(
            execution_context.schema._schema, document,
            root_value=execution_context.root_value,
            context_value=execution_context.context,
            variable_values=execution_context.variables,
            operation_name=execution_context.operation_name,
            is_awaitable=optimized_is_awaitable,
        )
        return await result if optimized_is_awaitable(result) else result  # type: ignore[misc]


def merge(plan: RootPlan, planned: dict[str, Any], rest: ExecutionResult) -> ExecutionResult:
    """Both parts in the order of the root selection; a null answer (an error in a non-null
    root field strawberry executed) stays null."""
    if rest.data is None:
        return ExecutionResult(data=None, errors=rest.errors)
    data = {key: rest.data[key] if kind == REST else planned[key]
            for kind, key, _ in plan.entries}
    return ExecutionResult(data=data, errors=rest.errors)


class PlannerExtension(SchemaExtension):
    def __init__(self, planner: QueryPlanner) -> None:
        self.planner = planner

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        result = await self.planner.answer(self.execution_context)
        if result is not None:
            self.execution_context.result = result
        yield


async def _both(first: Awaitable[Any], second: Awaitable[Any]) -> tuple[Any, Any]:
    """Both results; a failure is raised once both have finished (none left running)."""
    results = await asyncio.gather(first, second, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results[0], results[1]
