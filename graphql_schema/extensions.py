"""Schema extensions: documents through caches with the limits, error codes on every error,
masking of unexpected ones, and the operation told to the request's observers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSyntaxError, parse
from starlette.requests import Request
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import validate_document

from graphql_schema.errors import (
    OPERATION_RESOLUTION_FAILURE,
    PARSE_FAILED,
    VALIDATION_FAILED,
    ErrorCode,
    refused_value,
)
from graphql_schema.planner.internals import core_schema
from services.availability import ServiceUnavailable, outage_of
from services.metrics import OPERATION, Operation
from services.settings import Settings

# strawberry's refusals of a request's operation (none to run, or not of an allowed type)
REFUSED_OPERATIONS = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


def is_expected(error: GraphQLError) -> bool:
    """Errors raised on purpose (ApiError, graphql-core's own, strawberry's refusals of an
    operation) as opposed to crashes."""
    original = error.original_error
    return original is None or isinstance(original, (GraphQLError, *REFUSED_OPERATIONS))


def outage(error: GraphQLError) -> ServiceUnavailable | None:
    """The outage of PostgreSQL or Redis behind an error, if that is what it is."""
    original = error.original_error
    return None if original is None or isinstance(original, GraphQLError) else outage_of(original)


class ErrorCodes(MaskErrors):
    """Every error gets `extensions.code`; an unexpected exception's text never reaches the
    client (it is logged with its traceback instead). An outage of PostgreSQL or Redis, from
    any resolver or the planner, is SERVICE_UNAVAILABLE with a message naming the service
    (even when masking is off): the client may retry, and it is not a bug to report. A value
    of the input that PostgreSQL refused (a NUL character, a string too long) is
    BAD_USER_INPUT with PostgreSQL's reason, and the statement left out.

    `anonymise_error` and `should_mask_error` are MaskErrors' public knobs. Two methods it
    keeps private are overridden here, for want of a public way: `_process_errors`, because
    codes go on the errors it leaves alone too (graphql_schema/fanout.py calls it for shared
    subscription events, so both paths code errors alike), and `_process_result`, whose
    base version tests every result against a runtime-checkable Protocol, a check that costs
    more than the rest of this extension on an answer without errors."""

    def __init__(self, *, mask: bool = True) -> None:
        super().__init__(
            should_mask_error=lambda e: not is_expected(e) and (
                mask or outage(e) is not None or refused_value(e.original_error) is not None),
            error_message="Internal server error")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        down = outage(error)
        refused = refused_value(error.original_error)
        masked = super().anonymise_error(error)
        if down is not None:
            masked.message = down.message
            masked.extensions = {"code": ErrorCode.SERVICE_UNAVAILABLE.value}
        elif refused is not None:  # PostgreSQL's reason, without the statement
            reason = getattr(refused, "message", None) or str(refused)
            masked.message = f"The database refused a value of the input: {reason}"
            masked.extensions = {"code": ErrorCode.BAD_USER_INPUT.value}
        else:
            masked.extensions = {"code": ErrorCode.INTERNAL_SERVER_ERROR.value}
        return masked

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if not (error.extensions or {}).get("code"):
                code = (ErrorCode.INTERNAL_SERVER_ERROR.value
                        if not is_expected(error) else _code_for(error))
                error.extensions = {**(error.extensions or {}), "code": code}
        return processed


def _code_for(error: GraphQLError) -> str:
    """Errors graphql-core and strawberry raise themselves: documents that do not parse or
    validate, operations that cannot be run and invalid variables are the client's."""
    if isinstance(error, GraphQLSyntaxError):
        return PARSE_FAILED
    if isinstance(error.original_error, REFUSED_OPERATIONS):
        return OPERATION_RESOLUTION_FAILURE
    if error.path is None and not error.message.startswith("Variable '$"):
        return VALIDATION_FAILED
    return ErrorCode.BAD_USER_INPUT.value


class Documents(SchemaExtension):
    """Parsing and validation through the schema's LRU caches, with the document limits
    (tokens, depth, aliases): what strawberry's ParserCache, ValidationCache,
    MaxTokensLimiter, QueryDepthLimiter and MaxAliasesLimiter do, in one extension, because
    strawberry dispatches the hooks of every extension on every request."""

    def __init__(self, caches: DocumentCaches) -> None:
        self.caches = caches

    def on_parse(self) -> Iterator[None]:
        """A document that does not parse is left to strawberry, which parses it again (with
        the same token limit) where its syntax error becomes the operation's answer, coded
        and sent on either transport: raised from here, it escapes the extensions (no code
        over HTTP) and ends a socket's operation without a word to its client."""
        context = self.execution_context
        context.parse_options["max_tokens"] = self.caches.max_tokens
        try:
            context.graphql_document = self.caches.parse(context.query, **context.parse_options)
        except GraphQLError:
            context.graphql_document = None
        yield

    def on_validate(self) -> Iterator[None]:
        """The limits only for a document the specification's rules found valid: they
        assume one (strawberry's depth limiter fails on a spread of an unknown fragment)."""
        context = self.execution_context
        schema, document = core_schema(context.schema), context.graphql_document
        errors = self.caches.validate(schema, document, tuple(context.validation_rules))
        if not errors:
            errors = self.caches.validate(schema, document, self.caches.rules)
        context.pre_execution_errors = errors
        yield


@dataclass(eq=False)
class DocumentCaches:
    """Shared by all requests of a schema. The validation cache is keyed by the rule classes,
    so the limits' validators are built once here, not per request."""

    max_tokens: int
    rules: tuple[type[ASTValidationRule], ...]
    parse: Callable[..., DocumentNode]
    validate: Callable[..., list[GraphQLError]]

    @classmethod
    def of(cls, settings: Settings, maxsize: int = 1024) -> DocumentCaches:
        rules = (*QueryDepthLimiter(max_depth=settings.max_depth).validation_rules,
                 *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules)
        return cls(settings.max_tokens, rules, lru_cache(maxsize=maxsize)(parse),
                   lru_cache(maxsize=maxsize)(validate_document))


class OperationObserver(SchemaExtension):
    """Tells the HTTP request's observers (the request log and the request metrics,
    app/http/observe.py) which operation ran and how it ended. The known-query door tells
    them the same for the answers it gives without strawberry (app/http/graphql.py)."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if not isinstance(request, Request):
            return  # a socket's operation: counted by the websocket metrics
        try:
            operation_type = context.operation_type.value
            name = context.operation_name
        except RuntimeError:  # the document did not parse: no operation to name
            operation_type, name = "unknown", None
        result = context.result
        errors = (result.errors if result is not None else None) or context.pre_execution_errors
        if not errors:
            outcome = "ok"
        elif all(outage(error) is not None for error in errors):
            outcome = "unavailable"
        else:
            outcome = "error"
        request.scope.setdefault("state", {})[OPERATION] = Operation(operation_type, name,
                                                                     outcome)
