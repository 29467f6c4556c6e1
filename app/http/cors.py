"""CORS for browser apps on other origins: Starlette's middleware, with its preflight answers
shaped as GraphQL servers answer them (Apollo Router, Hasura): 204 No Content when allowed,
and a JSON error without any CORS header when not, so the browser tells the page nothing."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.http.errors import error_response


class CORS(CORSMiddleware):
    async def simple_response(self, scope: Scope, receive: Receive, send: Send,
                              request_headers: Headers) -> None:
        """An unlisted origin's request is answered as one without an Origin: no CORS header
        but `Vary: Origin` (Starlette's would still carry the exposed headers' list)."""
        origin = request_headers.get("origin")
        if origin is not None and not self.is_allowed_origin(origin=origin):
            request_headers = Headers(raw=[(k, v) for k, v in request_headers.raw
                                           if k != b"origin"])
        await super().simple_response(scope, receive, send, request_headers)

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 200:
            return error_response(400, bytes(answer.body).decode(), {"code": "CORS_REFUSED"})
        headers = {k: v for k, v in answer.headers.items()
                   if k not in ("content-length", "content-type")}
        return Response(status_code=204, headers=headers)
