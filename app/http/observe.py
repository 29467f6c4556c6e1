"""The request observer: the outermost middleware, so every request is seen, whatever answers
it (a guard's refusal, the known-query door, strawberry, a route, an error page).

For each HTTP request it writes one line to the request log (request id, method, path,
status, duration, operation name, user id; never a header's value, so never a token) and, for
GraphQL operations, the request metrics by operation type, name and outcome. It counts open
websockets.
"""

from __future__ import annotations

import logging
import time
import uuid

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.logs import REQUESTS
from services.metrics import OPERATION, WEBSOCKETS, Operation, observe_operation

log = logging.getLogger(REQUESTS)
GRAPHQL_PATH = "/graphql"
REQUEST_ID_LENGTH = 128  # a client's x-request-id longer than this is replaced


class RequestObserver:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.observe(scope, receive, send)
        elif scope["type"] == "websocket":
            WEBSOCKETS.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                WEBSOCKETS.dec()
        else:
            await self.app(scope, receive, send)

    async def observe(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        status = 500  # unless a response starts

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            seconds = time.perf_counter() - start
            state = scope.get("state") or {}
            operation: Operation | None = state.get(OPERATION)
            if operation is not None:
                observe_operation(operation.type, operation.name, operation.outcome, seconds)
            elif scope["path"] == GRAPHQL_PATH and status >= 400:
                observe_operation("unknown", None, refusal_outcome(status), seconds)
            if log.isEnabledFor(logging.INFO):
                self.log_request(scope, state, operation, status, seconds)

    @staticmethod
    def log_request(scope: Scope, state: dict, operation: Operation | None, status: int,
                    seconds: float) -> None:
        request_id = Headers(scope=scope).get("x-request-id") or ""
        if not request_id or len(request_id) > REQUEST_ID_LENGTH:
            request_id = uuid.uuid4().hex
        principal = state.get("principal")
        user_id = getattr(principal, "user_id", None)
        log.info("%s %s %d", scope["method"], scope["path"], status, extra={
            "request_id": request_id,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "operation_type": operation.type if operation else None,
            "operation_name": operation.name if operation else None,
            "outcome": operation.outcome if operation else None,
            "user_id": str(user_id) if user_id else None,
        })


def refusal_outcome(status: int) -> str:
    """A /graphql request answered before any operation ran."""
    if status == 503:
        return "unavailable"
    return "refused" if status < 500 else "error"
