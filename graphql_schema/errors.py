"""Error codes and the errors the API raises on purpose.

Access and not-found problems are top-level GraphQL errors carrying `extensions.code`;
input problems of mutations come back as `userErrors` in the payload (DESIGN.md §4).
Anything else is unexpected and is masked before it reaches the client.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from graphql import GraphQLError


@strawberry.enum(description="Machine-readable error codes, in `extensions.code` and `userErrors`.")
class ErrorCode(Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


# The codes of request errors (GraphQL over HTTP): nothing could be executed, so an answer in
# application/graphql-response+json has no `data` at all. Invalid variables are BAD_USER_INPUT.
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"  # the document is not GraphQL (or over the token limit)
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"  # not valid against the schema, or the limits
OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"  # no operation to run by that name
REQUEST_ERRORS = frozenset({PARSE_FAILED, VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE,
                            ErrorCode.BAD_USER_INPUT.value})  # the last one: without a path


def refused_value(error: BaseException | None) -> BaseException | None:
    """PostgreSQL's error behind `error` when it refused a value (SQLSTATE class 22, data
    exception: a NUL character in text, a string too long for its column, a number out of
    range), else None. Such a value came from the client's input, past validation: it is
    answered BAD_USER_INPUT, not masked as a crash. asyncpg's errors and SQLAlchemy's wrapper
    of them both carry the SQLSTATE; the innermost one has PostgreSQL's own message."""
    found, seen = None, set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith("22"):
            found = error
        error = getattr(error, "orig", None) or error.__cause__
    return found


class ApiError(GraphQLError):
    """A deliberate error: its message is safe to show and it carries a code."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message, extensions={"code": self.code.value, **extensions})


class BadUserInput(ApiError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class Forbidden(ApiError):
    code = ErrorCode.FORBIDDEN


class Unauthenticated(ApiError):
    code = ErrorCode.UNAUTHENTICATED


class RateLimited(ApiError):
    """A limit of one operation (password resets), beyond the per-request limits; carries
    `retryAfter` in whole seconds, as the HTTP refusal's body does."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)


@strawberry.type(description="A problem with the input of a mutation; nothing was written.")
class UserError:
    field: list[str] | None
    message: str
    code: str
