"""The GraphQL endpoint: strawberry's ASGI app with our context, JSON codec and GraphiQL."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse

from app.auth import authenticate
from app.graphiql import graphiql_html
from app.security.tokens import TokenError
from db.scope import Principal
from graphql_schema.context import Context

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def wants_graphql_response_json(accept: str) -> bool:
    """GraphQL over HTTP: the new media type when the client lists it before plain JSON."""
    graphql_at = accept.find(GRAPHQL_RESPONSE_JSON)
    if graphql_at < 0:
        return False
    json_at = accept.replace(GRAPHQL_RESPONSE_JSON, "").find("application/json")
    return json_at < 0 or graphql_at <= json_at


class GraphQLApp(GraphQL[Context, None]):
    """Builds one `Context` per request or socket from the lifespan's resources."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            try:
                scope.setdefault("state", {})["principal"] = await authenticate(
                    request.headers.get("authorization"), request.app.state)
            except TokenError as refused:
                body = {"errors": [{"message": refused.message,
                                    "extensions": {"code": refused.code}}]}
                await Response(orjson.dumps(body), status_code=401,
                               media_type="application/json",
                               headers={"www-authenticate": "Bearer"})(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        if isinstance(request, Request) and isinstance(response, Response):
            response.media_type = (
                GRAPHQL_RESPONSE_JSON
                if wants_graphql_response_json(request.headers.get("accept", ""))
                else "application/json"
            )
        return Context(
            settings=state.settings,
            db=state.db,
            redis=state.redis,
            principal=request.scope.get("state", {}).get("principal") or Principal.anonymous(),
            request=request,
            response=response if isinstance(response, Response) else None,
        )

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html(endpoint=request.url.path))

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = sub_response.media_type or "application/json"
        status_code = sub_response.status_code or 200
        if (media_type == GRAPHQL_RESPONSE_JSON and isinstance(response_data, dict)
                and response_data.get("data") is None and response_data.get("errors")):
            status_code = 400  # a request error: nothing was executed
        response = Response(self.encode_json(response_data), status_code=status_code,
                            media_type=media_type)
        for key, value in sub_response.headers.items():
            if key not in ("content-type", "content-length"):
                response.headers[key] = value
        if sub_response.background:
            response.background = sub_response.background
        return response
