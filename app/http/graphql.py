"""The GraphQL endpoint: strawberry's ASGI app with our context, JSON codec and GraphiQL.

Every HTTP request passes the guards (app/http/guards.py) first. A JSON POST of a query the
planner has answered whole before is answered by the planner's known path; everything else
takes strawberry's way. Sockets are handled as app/http/websockets.py describes.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types.unset import UNSET, UnsetType

from app.graphiql import graphiql_html
from app.http.guards import admit
from app.http.negotiation import GRAPHQL_RESPONSE_JSON, response_media_type
from app.http.persisted_queries import NO_STORE, PersistedQueryError, persisted_queries
from app.http.websockets import (
    LimitedLegacyWSHandler,
    LimitedTransportWSHandler,
    WebSocketAdapter,
    WebSocketContext,
    authenticate_socket,
)
from db.scope import Principal
from graphql_schema.context import Context
from services.system_log import bind_request


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # disconnected: strawberry sees an empty body, nobody reads the answer
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for an app that reads the request again: the body first, then the
    connection's own messages (a disconnect)."""
    pending = True

    async def again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


class GraphQLApp(GraphQL[Context, None]):
    """Builds one `Context` per request or socket from the lifespan's resources."""

    websocket_adapter_class = WebSocketAdapter
    graphql_transport_ws_handler_class = LimitedTransportWSHandler  # they share subscription
    graphql_ws_handler_class = LimitedLegacyWSHandler  # results (graphql_schema/fanout.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = await admit(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        principal = scope.get("state", {}).get("principal")
        http = scope["type"] == "http"
        headers = Headers(scope=scope)
        with bind_request(headers.get("x-request-id"),  # system_logs
                          principal.user_id if principal else None):
            try:
                if http and scope["method"] == "POST":
                    receive = await self.answer_known(scope, receive, send, headers, principal)
                    if receive is None:
                        return
                await super().__call__(scope, receive, send)
            except PersistedQueryError as answer:  # raised before anything was sent
                await Response(orjson.dumps(answer.body()), status_code=answer.status,
                               media_type="application/json",
                               headers={"cache-control": NO_STORE})(scope, receive, send)

    async def answer_known(self, scope: Scope, receive: Receive, send: Send,
                           headers: Headers, principal: Principal) -> Receive | None:
        """Answers a JSON POST of a query the planner has answered whole before (the
        same text: parsed, validated and limited then) and returns None; otherwise returns
        the `receive` with which strawberry takes the request the usual way."""
        planner = getattr(self.schema, "planner", None)
        if planner is None or "application/json" not in headers.get("content-type", ""):
            return receive
        body = await read_body(receive)
        usual = replay(body, receive)
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return usual
        if not isinstance(data, dict):
            return usual
        query, variables = data.get("query"), data.get("variables")
        operation_name, extensions = data.get("operationName"), data.get("extensions")
        if extensions:
            if not isinstance(extensions, dict):
                return usual
            item = GraphQLRequestData(query=query, variables=variables,
                                      operation_name=operation_name, extensions=extensions,
                                      protocol="http")
            await persisted_queries(scope["app"].state).resolve(item)  # refusals: __call__
            query = item.query
        if (not isinstance(query, str) or not isinstance(variables, dict | None)
                or not isinstance(operation_name, str | None)):
            return usual
        state = scope["app"].state
        answer = await planner.answer_known(self.schema, query, operation_name, variables,
                                            state.db, principal, state.settings)
        if answer is None:
            return usual
        media_type = response_media_type(headers.get("accept", ""))
        await Response(orjson.dumps({"data": answer.data}), media_type=media_type)(
            scope, receive, send)
        return None  # (the answer and its run are freed from here, after the response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        assert isinstance(context, WebSocketContext)
        await authenticate_socket(context)
        return UNSET

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        if isinstance(request, Request) and isinstance(response, Response):
            response.media_type = response_media_type(request.headers.get("accept", ""))
        context_class = WebSocketContext if isinstance(request, WebSocket) else Context
        return context_class(
            settings=state.settings,
            db=state.db,
            redis=state.redis,
            pubsub=state.pubsub,
            principal=request.scope.get("state", {}).get("principal") or Principal.anonymous(),
            request=request,
            response=response if isinstance(response, Response) else None,
        )

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """Not for a GET that names a persisted query by its hash alone."""
        return ("extensions" not in request.query_params
                and super().should_render_graphql_ide(request))

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        return HTMLResponse(graphiql_html(endpoint=request.url.path))

    async def execute_operation(  # type: ignore[override]
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData], **kwargs: Any,
    ) -> Any:
        """Runs the request, with the document of an automatic persisted query filled in."""
        store = persisted_queries(request.app.state)
        for item in request_data if isinstance(request_data, list) else [request_data]:
            await store.resolve(item)
        return await super().execute_operation(
            request=request, request_adapter=request_adapter, request_data=request_data,
            **kwargs)

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
