"""The one door: whether a plan answers a request, first or known, and what happens when it
cannot.

A first request reaches the planner through `PlannerExtension` (strawberry's `on_execute`,
after parsing and validation, with the limits, inside the same operation, so error masking
and everything around the execution stay as they are). An operation answered whole once is
afterwards answered by `answer_known` as soon as the HTTP request is read: the same text,
with no parsing, validation or extensions, which is sound only while every extension of the
schema is one whose work the plan reproduces (`REPRODUCED`); a schema with any other turns
that shortcut off, and all its requests go through strawberry, where the extension still
plans them.

Root fields the planner does not cover (`viewer`, `search`) are executed by graphql-core
beside the planned ones and merged in selection order; a field with a resolver of its own
below a planned one (`downloadUrl`) is executed by graphql-core on its object's node.
Mutations, subscriptions, sockets and operations with no plannable root field are executed
by strawberry as usual.

Only what the planner cannot do falls back to strawberry: an answer that carries an error
(strawberry gives it, with its path) and a planner bug (logged and counted). An outage of
PostgreSQL or Redis is not run again there: it is answered once, SERVICE_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import strawberry
from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    Executor,
    GraphQLError,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    execute,
    visit,
)
from graphql.execution import executor as graphql_executor
from starlette.websockets import WebSocket
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from db.scope import Principal
from db.session import Database
from graphql_schema.context import Context
from graphql_schema.errors import ErrorCode, refused_value
from graphql_schema.extensions import Documents, ErrorCodes, OperationObserver
from graphql_schema.planner import stats as counters
from graphql_schema.planner.execute import Run
from graphql_schema.planner.extension import PlannerExtension
from graphql_schema.planner.internals import core_schema, provided_operation_name
from graphql_schema.planner.plan import Compiler, RootPlan, Unplannable
from graphql_schema.planner.stats import PlannerStats
from graphql_schema.planner.steps import StrawberryRoot
from graphql_schema.planner.values import Fallback
from services.availability import ServiceUnavailable, outage_of
from services.settings import Settings

log = logging.getLogger("aiplatform.planner")
VALUES_PER_DOCUMENT = 64
T = TypeVar("T")

# The extensions whose work a known answer reproduces, by exact class:
# - ErrorCodes masks and codes errors: a known answer has none (an error answer falls back);
# - Documents parses, validates and limits the text: the known text passed it, and the same
#   text against the same schema passes it again;
# - DisableIntrospection is a validation rule: the same;
# - OperationObserver tells the request log and metrics which operation ran: the HTTP
#   endpoint tells them the same of every known answer it sends;
# - PlannerExtension is the planner itself.
REPRODUCED: frozenset[type[SchemaExtension]] = frozenset(
    {ErrorCodes, Documents, DisableIntrospection, OperationObserver, PlannerExtension})


def get_variable_values(*args: Any) -> Any:
    """graphql-core's variable coercion as its executor calls it: read from the executor's
    module on each call, so fast_variables' replacement there is the one used here too."""
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
    operation_name: str | None = None  # the operation's own name in the document


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
    response is sent, so the run's rows are freed after it, not before the answer leaves."""

    data: dict[str, Any]
    run: Run
    operation_name: str | None  # the document's, whether or not the client named it


def outage_result(outage: ServiceUnavailable) -> ExecutionResult:
    """The whole operation's answer when a service it needs is down (as the HTTP layer gives
    for a known request): no data, one error with the code, no path."""
    return ExecutionResult(data=None, errors=[GraphQLError(
        outage.message, original_error=outage,
        extensions={"code": ErrorCode.SERVICE_UNAVAILABLE.value})])


@dataclass(eq=False)
class QueryPlanner:
    """Compiled plans by document text and operation name (LRU), and the counters of what
    happened to requests (`stats.snapshot()`), shared by all requests of a schema."""

    maxsize: int = 1024
    documents: OrderedDict[tuple[str, str | None], _Document] = field(
        default_factory=OrderedDict)
    stats: PlannerStats = field(default_factory=PlannerStats)
    _shortcut: tuple[strawberry.Schema, bool] | None = None

    def shortcut(self, schema: strawberry.Schema) -> bool:
        """Whether known queries of `schema` may skip strawberry's pipeline: only while every
        extension it runs is one a plan reproduces (checked once per schema)."""
        checked = self._shortcut
        if checked is None or checked[0] is not schema:
            others = [type(e).__name__ for e in schema.get_extensions()
                      if type(e) not in REPRODUCED]
            if others:
                log.info("known queries go through strawberry: %s", ", ".join(others))
            checked = self._shortcut = (schema, not others)
        return checked[1]

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
                self.stats.fell_back(counters.PLANNING_ERROR)
                entry.plans[values] = None
                return None
        plan = entry.plans[values]
        if plan is None:
            self.stats.count(counters.UNPLANNABLE)
        return plan

    async def answer(self, execution_context: ExecutionContext) -> ExecutionResult | None:
        """A first request's answer (from `PlannerExtension`), or None when strawberry has
        to execute it. An outage is the whole answer: SERVICE_UNAVAILABLE."""
        try:
            return await self._answer(execution_context)
        except ServiceUnavailable as outage:
            return outage_result(outage)

    async def _answer(self, execution_context: ExecutionContext) -> ExecutionResult | None:
        context = execution_context.context
        if (execution_context.operation_type is not OperationType.QUERY
                or not isinstance(context, Context) or isinstance(context.request, WebSocket)
                or not isinstance(execution_context.query, str)
                or execution_context.graphql_document is None):
            return None
        # keyed by the name as the client sent it, as answer_known sees it
        name = provided_operation_name(execution_context)
        known = self.documents.get((execution_context.query, name))
        if known is not None and not known.directive_variables and known.plans.get((), 0) is None:
            self.stats.count(counters.UNPLANNABLE)  # known not to be plannable: no set-up
            return None
        schema = execution_context.schema
        document = execution_context.graphql_document
        executor = Executor.build(core_schema(schema), document, None, context,
                                  execution_context.variables,
                                  execution_context.operation_name)
        if isinstance(executor, list):
            return None  # variable errors: strawberry reports them
        plan = self.plan(schema, execution_context.query, document, executor, name)
        if plan is None:
            return None
        run = Run(schema, context.db, context.principal, context.settings,
                  executor.variable_values, executor)
        if plan.rest is None:
            data = await self._attempt(run.execute(plan))
            if data is None:
                return None
            self._count_planned(plan)
            entry = self.documents.get((execution_context.query, name))
            if entry is not None and entry.variable_definitions is None:  # known from now on
                entry.variable_definitions = tuple(executor.operation.variable_definitions or ())
                entry.operation_name = (executor.operation.name.value
                                        if executor.operation.name else None)
            return ExecutionResult(data=data, errors=None)
        both = await self._attempt(_both(run.execute(plan),
                                         self.execute_rest(plan.rest, execution_context)))
        if both is None:
            return None
        self._count_planned(plan)
        self.stats.count(counters.PARTIAL)
        return merge(plan, *both)

    def _count_planned(self, plan: RootPlan) -> None:
        self.stats.count(counters.PLANNED)
        if plan.subtrees:
            self.stats.count(counters.SUBTREES)

    async def answer_known(self, schema: strawberry.Schema, query: str,
                           operation_name: str | None, variables: dict[str, Any] | None,
                           db: Database, principal: Principal, settings: Settings
                           ) -> KnownAnswer | None:
        """The data of an operation this planner has answered whole before, without
        strawberry's pipeline; None when the request has to take the usual way (unknown text,
        variable errors, an answer with an error, a schema extension a plan does not
        reproduce). Raises ServiceUnavailable when PostgreSQL or Redis is down."""
        key = (query, operation_name)
        entry = self.documents.get(key)
        if entry is None or entry.variable_definitions is None or not self.shortcut(schema):
            return None
        self.documents.move_to_end(key)
        raw = orjson.dumps(variables or {})
        values = entry.values.get(raw)
        if values is None:
            values = get_variable_values(core_schema(schema), entry.variable_definitions,
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
        self.stats.count(counters.PLANNED)
        self.stats.count(counters.KNOWN)
        return KnownAnswer(data, run, entry.operation_name)

    async def _attempt(self, job: Awaitable[T]) -> T | None:
        """The planned result, or None (a fallback) when strawberry has to answer: an error
        answer (strawberry gives it, with its path: a value PostgreSQL refused is one too) or
        a planner bug (logged). An outage of PostgreSQL or Redis is raised as
        ServiceUnavailable: strawberry would meet it too."""
        try:
            return await job
        except (Fallback, GraphQLError):
            reason = counters.ERROR_ANSWER
        except Exception as error:
            outage = outage_of(error)
            if outage is not None:
                self.stats.count(counters.OUTAGE)
                raise outage from error
            if refused_value(error) is not None:  # the input's value: strawberry says so
                reason = counters.ERROR_ANSWER
            else:
                log.warning("planned execution failed; strawberry executes this request",
                            exc_info=True)
                reason = counters.EXECUTION_ERROR
        self.stats.fell_back(reason)
        return None

    async def execute_rest(self, document: DocumentNode, execution_context: ExecutionContext
                           ) -> ExecutionResult:
        """The root fields the planner does not cover, executed as strawberry would."""
        result = execute(
            core_schema(execution_context.schema), document,
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
    data = {step.key: rest.data[step.key] if isinstance(step, StrawberryRoot)
            else planned[step.key] for step in plan.steps}
    return ExecutionResult(data=data, errors=rest.errors)


async def _both(first: Awaitable[Any], second: Awaitable[Any]) -> tuple[Any, Any]:
    """Both results; a failure is raised once both have finished (none left running)."""
    results = await asyncio.gather(first, second, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results[0], results[1]
