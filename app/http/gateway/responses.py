"""JSON answers and refusals of the gateway, and the request body it reads."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from services.availability import RETRY_AFTER_SECONDS, outage_of
from services.gateway.errors import GatewayError, invalid, service_unavailable
from services.metrics import observe_gateway

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_BODY = 8 * 1024 * 1024


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


def error_response(error: GatewayError) -> Response:
    return json_response(error.body(), error.status, error.headers)


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise GatewayError(413, "The request body is too large", "invalid_request_error",
                           "request_too_large")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("The request body is not valid JSON", "invalid_json") from None
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object", "invalid_json")
    return body


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 503:
        return "upstream_error"
    return "refused" if status < 500 else "error"


def refusals(endpoint: str, handler: Endpoint) -> Endpoint:
    """`handler` with its GatewayErrors, and outages of PostgreSQL or Redis (503), answered in
    OpenAI's shape and every call counted (a streamed answer counts itself when its last byte
    is out: chat.Call.finish)."""
    async def answer(request: Request) -> Response:
        began = time.perf_counter()
        try:
            response = await handler(request)
        except Exception as raised:
            error = raised if isinstance(raised, GatewayError) else _outage(raised)
            observe_gateway(endpoint, outcome_of(error.status), time.perf_counter() - began)
            return error_response(error)
        if response.media_type != "text/event-stream":
            observe_gateway(endpoint, outcome_of(response.status_code),
                            time.perf_counter() - began)
        return response

    return answer


def _outage(error: Exception) -> GatewayError:
    """The 503 for an outage; anything else is raised again (a bug: a 500)."""
    outage = outage_of(error)
    if outage is None:
        raise error
    return service_unavailable(str(outage), RETRY_AFTER_SECONDS)
