"""The GraphQL endpoint, the one door for GraphQL over HTTP: strawberry's ASGI app with our
context, JSON codec and GraphiQL, and the planner's known path in front of its pipeline.

Every HTTP request passes the guards (app/http/guards.py) first. Its body is read and decoded
once (`parse_http_body`, with a persisted query's document filled in): a POST of a query the
planner has answered whole before is answered by the planner's known path from that data,
anything else by strawberry from the same data. Sockets: app/http/websockets.py.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.types.unset import UNSET, UnsetType

from app.graphiql import graphiql_html
from app.http.errors import service_unavailable
from app.http.guards import admit
from app.http.negotiation import GRAPHQL_RESPONSE_JSON, response_media_type
from app.http.persisted_queries import PersistedQueryError, persisted_queries
from app.http.websockets import (
    LimitedLegacyWSHandler,
    LimitedTransportWSHandler,
    WebSocketAdapter,
    WebSocketContext,
    authenticate_socket,
)
from db.scope import Principal
from graphql_schema.context import Context
from services.availability import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, outage_of
from services.system_log import bind_request, bind_user

RequestData = GraphQLRequestData | list[GraphQLRequestData]


class KnownAnswer(Protocol):
    """What the planner's `answer_known` returns: the data, and whatever produced it (kept
    until the response is sent, so it is freed after the answer left)."""

    data: dict[str, Any]


class RequestAdapter(StarletteRequestAdapter):
    """strawberry's view of a Starlette request, with the request at hand: its state keeps
    the decoded request data for both ways through the endpoint."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class GraphQLApp(GraphQL[Context, None]):
    """Builds one `Context` per request or socket from the lifespan's resources."""

    request_adapter_class = RequestAdapter
    websocket_adapter_class = WebSocketAdapter
    graphql_transport_ws_handler_class = LimitedTransportWSHandler  # they share subscription
    graphql_ws_handler_class = LimitedLegacyWSHandler  # results (graphql_schema/fanout.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            with bind_request(Headers(scope=scope).get("x-request-id"), None):  # system_logs
                await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        with bind_request(request.headers.get("x-request-id"), None):
            known = None  # kept until the response is sent: its rows are freed after that
            try:
                response = await admit(request)
                if response is None:
                    principal: Principal = request.state.principal
                    bind_user(principal.user_id)
                    known = await self.answer_known(request, principal)
                    response = (await self.run(request) if known is None else Response(
                        orjson.dumps({"data": known.data}),
                        media_type=response_media_type(request.headers.get("accept", ""))))
            except HTTPException as refused:  # what strawberry's own __call__ answers so
                response = PlainTextResponse(refused.reason, status_code=refused.status_code)
            except PersistedQueryError as answer:
                response = answer.response()
            except ClientDisconnect:
                return  # gone while sending its body: nobody reads an answer
            except Exception as error:  # PostgreSQL or Redis down: 503, the client may retry
                outage = outage_of(error)
                if outage is None:
                    raise
                response = service_unavailable(outage)
            await response(scope, receive, send)

    async def answer_known(self, request: Request, principal: Principal) -> KnownAnswer | None:
        """The planner's answer to a POST of a query it has answered whole before (the same
        text: parsed, validated and limited then), or None: strawberry answers it."""
        planner = getattr(self.schema, "planner", None)
        if (planner is None or request.method != "POST"
                or "application/json" not in request.headers.get("content-type", "")):
            return None  # (multipart: uploads are never known queries)
        data = await self.parse_http_body(self.request_adapter_class(request))
        if (not isinstance(data, GraphQLRequestData) or not isinstance(data.query, str)
                or not isinstance(data.operation_name, str | None)):
            return None
        state = request.app.state
        answer: KnownAnswer | None = await planner.answer_known(
            self.schema, data.query, data.operation_name, data.variables, state.db, principal,
            state.settings)
        return answer

    async def parse_http_body(self, request_adapter: AsyncHTTPRequestAdapter) -> RequestData:
        """The request data, decoded from the body once per request (the known path asks
        first, strawberry's path again), with an automatic persisted query's document filled
        in, or refused (PersistedQueryError)."""
        assert isinstance(request_adapter, RequestAdapter)  # request_adapter_class
        state = request_adapter.request.state
        data: RequestData | None = getattr(state, "graphql_request", None)
        if data is None:
            data = await super().parse_http_body(request_adapter)
            store = persisted_queries(request_adapter.request.app.state)
            for item in data if isinstance(data, list) else [data]:
                await store.resolve(item)
            state.graphql_request = data
        return data

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

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Our JSON codec and negotiated media type; no data with errors is a 503 when each
        error is an outage (as the known path answers it), else, in the GraphQL over HTTP
        media type, a 400 (a request error: nothing was executed)."""
        media_type = sub_response.media_type or "application/json"
        status_code = sub_response.status_code or 200
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        outage = False
        if errors and isinstance(response_data, dict) and response_data.get("data") is None:
            outage = all((error.get("extensions") or {}).get("code") == SERVICE_UNAVAILABLE
                         for error in errors)
            if outage:
                status_code = 503
            elif media_type == GRAPHQL_RESPONSE_JSON:
                status_code = 400
        response = Response(self.encode_json(response_data), status_code=status_code,
                            media_type=media_type)
        if outage:
            response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
        for key, value in sub_response.headers.items():
            if key not in ("content-type", "content-length"):
                response.headers[key] = value
        if sub_response.background:
            response.background = sub_response.background
        return response
