"""The JSON answers the HTTP entry gives instead of an execution: a GraphQL error list with
a code, as clients read every other error, and the HTTP status that goes with it."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from services.availability import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, ServiceUnavailable


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
