"""The JSON answers the HTTP entry gives instead of an execution: a GraphQL error list with
a code, as clients read every other error, and the HTTP status that goes with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import Response

from services.availability import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, ServiceUnavailable

# The codes of requests refused before any GraphQL was parsed, by HTTP status
CODE_OF_STATUS = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
                  415: "UNSUPPORTED_MEDIA_TYPE"}


def error_response(status: int, message: str, extensions: dict[str, object],
                   headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


def rate_limited(retry_after: int) -> dict[str, Any]:
    """The error an HTTP request (with status 429) or a socket operation over the limit gets."""
    return {"message": f"Too many requests: retry in {retry_after} s",
            "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after}}


def service_unavailable(outage: ServiceUnavailable) -> Response:
    """503 for a request PostgreSQL or Redis could not serve: the client may retry soon."""
    return error_response(503, str(outage), {"code": SERVICE_UNAVAILABLE},
                          {"retry-after": str(RETRY_AFTER_SECONDS)})


@dataclass
class RequestError(Exception):
    """A request the endpoint refuses before executing anything (GraphQL over HTTP's request
    errors): a body that is not a GraphQL request, a method or media type it does not take.
    Its answer is a GraphQL error list with a code, never a text page."""

    status: int
    message: str
    code: str = ""  # the status's (CODE_OF_STATUS) unless given
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.code = self.code or CODE_OF_STATUS.get(self.status, "BAD_REQUEST")

    def response(self) -> Response:
        return error_response(self.status, self.message, {"code": self.code}, self.headers)
