"""CORS for browser apps on other origins: Starlette's middleware, with its preflight answers
shaped as GraphQL servers answer them (Apollo Router, Hasura): 204 No Content when allowed,
and a JSON error without any CORS header when not, so the browser tells the page nothing."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from app.http.errors import error_response


class CORS(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 200:
            return error_response(400, bytes(answer.body).decode(), {"code": "CORS_REFUSED"})
        headers = {k: v for k, v in answer.headers.items()
                   if k not in ("content-length", "content-type")}
        return Response(status_code=204, headers=headers)
