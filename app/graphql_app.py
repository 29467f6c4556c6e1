"""The GraphQL endpoint: strawberry's ASGI app with our context, JSON codec and GraphiQL.

HTTP requests are authenticated (401 with a code) and rate limited (429 RATE_LIMITED) before
strawberry sees them; sockets authenticate in `connection_init` and are refused with 4401.
Each operation a socket starts counts against the same rate limit, and a socket runs at most
`ws_max_subscriptions` operations at once: an operation over either is refused alone, with an
`error` message for its id (RATE_LIMITED or TOO_MANY_SUBSCRIPTIONS), the socket stays open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage
from strawberry.types.unset import UNSET, UnsetType

from app.graphiql import graphiql_html
from app.persisted_queries import NO_STORE, PersistedQueryError, persisted_queries
from db.scope import Principal
from graphql_schema.context import Context, Loaders
from graphql_schema.fanout import LegacyWSHandler, TransportWSHandler
from services.auth import authenticate
from services.ratelimit import check_operation, check_request, request_count
from services.security.tokens import TokenError
from services.system_log import bind_request, bind_user

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def wants_graphql_response_json(accept: str) -> bool:
    """GraphQL over HTTP: the new media type when the client lists it before plain JSON."""
    graphql_at = accept.find(GRAPHQL_RESPONSE_JSON)
    if graphql_at < 0:
        return False
    json_at = accept.replace(GRAPHQL_RESPONSE_JSON, "").find("application/json")
    return json_at < 0 or graphql_at <= json_at


WS_UNAUTHORIZED = 4401  # no usable credential: log in again or replace the key
WS_FORBIDDEN = 4403  # authenticated, but not allowed (for later checks; none refuse yet)


@dataclass
class WebSocketContext(Context):
    """A socket's context: strawberry stores the `connection_init` payload here."""

    connection_params: dict[str, object] | None = None

    def use_principal(self, principal: Principal) -> None:
        """Act as `principal` from now on (the loaders are built for one principal)."""
        self.principal = principal
        self.loaders = Loaders(self.db, principal)


def ws_rejection(websocket: WebSocket, close_code: int, error_code: str, message: str
                 ) -> ConnectionRejectionError:
    """The error for `on_ws_connect` to raise. The socket then closes with `close_code` and
    `error_code` as reason in both protocols (strawberry alone closes with 4403 in
    graphql-transport-ws and 1011 in graphql-ws); graphql-ws also sends the message first."""
    websocket.scope.setdefault("state", {})["ws_refusal"] = (close_code, error_code)
    return ConnectionRejectionError({"message": message, "extensions": {"code": error_code}})


class WebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        """Text frames, as both protocols' clients expect (browsers cannot parse a binary
        frame's Blob as JSON); strawberry sends our encoder's bytes as binary frames."""
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        code, reason = self.ws.scope.get("state", {}).get("ws_refusal", (code, reason))
        await super().close(code, reason)


async def operation_refusal(context: WebSocketContext, active: int) -> dict[str, object] | None:
    """Why a socket may not start one more operation (a GraphQL error), or None. The cap is
    checked first, so an operation it refuses is not counted against the rate limit."""
    settings = context.settings
    if active >= settings.ws_max_subscriptions:
        return {"message": f"At most {settings.ws_max_subscriptions} operations may run at "
                           "once on one socket",
                "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"}}
    assert isinstance(context.request, WebSocket)
    retry_after = await check_operation(context.request, context.principal)
    if retry_after is None:
        return None
    return rate_limited(retry_after)


def rate_limited(retry_after: int) -> dict[str, Any]:
    """The error an HTTP request (with status 429) or a socket operation over the limit gets."""
    return {"message": f"Too many requests: retry in {retry_after} s",
            "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after}}


class LimitedTransportWSHandler(TransportWSHandler):
    """graphql-transport-ws: an operation over a limit gets an `error` message for its id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_subscriptions_per_connection = None  # ours, with a code, comes first

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            refusal = await operation_refusal(self.context, len(self.operations))
            if refusal is not None:
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": [refusal]})
                return
        await super().handle_subscribe(message)


class LimitedLegacyWSHandler(LegacyWSHandler):
    """graphql-ws: an operation over a limit gets an `error` message for its id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_subscriptions_per_connection = None  # ours, with a code, comes first

    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            replaced = message["id"] in self.tasks  # a start with a running id replaces it
            refusal = await operation_refusal(self.context, len(self.tasks) - replaced)
            if refusal is not None:
                await self.send_message({"type": "error", "id": message["id"],
                                         "payload": refusal})
                return
        await super().handle_start(message)


STREAMING = re.compile("multipart/mixed|text/event-stream")  # incremental delivery


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


def error_response(status: int, message: str, extensions: dict[str, object],
                   headers: dict[str, str]) -> Response:
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers=headers)


PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")
MULTIPART_OVERHEAD = 1024 * 1024  # room for the operations and map parts around the file


def multipart_refusal(request: Request) -> Response | None:
    """Uploads (GraphQL multipart requests) must carry a header that makes browsers send a
    CORS preflight, as Apollo Server requires: a plain HTML form can post multipart across
    sites, a request with a custom header cannot. A declared body far above the upload limit
    is refused before it is spooled to disk (413); the exact limit is checked while reading."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/"):
        return None
    if not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
        return error_response(
            400, "Multipart requests need a non-empty apollo-require-preflight, "
                 "x-apollo-operation-name or graphql-preflight header",
            {"code": "PREFLIGHT_REQUIRED"}, {})
    length = request.headers.get("content-length", "")
    limit = request.app.state.settings.max_upload_bytes + MULTIPART_OVERHEAD
    if length.isdigit() and int(length) > limit:
        return error_response(413, "The request is larger than the upload limit",
                              {"code": "FILE_TOO_LARGE"}, {})
    return None


class GraphQLApp(GraphQL[Context, None]):
    """Builds one `Context` per request or socket from the lifespan's resources."""

    websocket_adapter_class = WebSocketAdapter
    graphql_transport_ws_handler_class = LimitedTransportWSHandler  # they share subscription
    graphql_ws_handler_class = LimitedLegacyWSHandler  # results (graphql_schema/fanout.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            refusal = multipart_refusal(request)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            count = request_count(request)
            try:
                principal = await authenticate(request.headers.get("authorization"),
                                               request.app.state, count)
            except TokenError as refused:
                await error_response(401, refused.message, {"code": refused.code},
                                     {"www-authenticate": "Bearer"})(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
            retry_after = await check_request(request, principal, count)
            if retry_after is not None:
                error = rate_limited(retry_after)
                await error_response(429, error["message"], error["extensions"],
                                     {"retry-after": str(retry_after)})(scope, receive, send)
                return
        principal = scope.get("state", {}).get("principal")
        http = scope["type"] == "http"
        headers = request.headers if http else Headers(scope=scope)
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
        if (planner is None or "application/json" not in headers.get("content-type", "")
                or STREAMING.search(headers.get("accept", ""))):
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
        media_type = (GRAPHQL_RESPONSE_JSON if wants_graphql_response_json(
            headers.get("accept", "")) else "application/json")
        await Response(orjson.dumps({"data": answer.data}), media_type=media_type)(
            scope, receive, send)
        return None  # (the answer and its run are freed from here, after the response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a socket from `connection_init`'s payload ({"Authorization": "Bearer
        ..."}, key in any case), else from the upgrade request's header. No credential: the
        socket is anonymous. A refused credential closes it with 4401 and the code as reason."""
        websocket = context.request
        assert isinstance(websocket, WebSocket) and isinstance(context, WebSocketContext)
        params = context.connection_params or {}
        authorization = next((v for k, v in params.items() if k.lower() == "authorization"),
                             websocket.headers.get("authorization"))
        try:
            if authorization is not None and not isinstance(authorization, str):
                raise TokenError("TOKEN_INVALID", "Authorization must be a string")
            principal = await authenticate(authorization, websocket.app.state)
        except TokenError as refused:
            raise ws_rejection(websocket, WS_UNAUTHORIZED, refused.code,
                               refused.message) from None
        context.use_principal(principal)
        bind_user(principal.user_id)  # the socket's later log records name its caller
        return UNSET

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        if isinstance(request, Request) and isinstance(response, Response):
            response.media_type = (
                GRAPHQL_RESPONSE_JSON
                if wants_graphql_response_json(request.headers.get("accept", ""))
                else "application/json"
            )
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
