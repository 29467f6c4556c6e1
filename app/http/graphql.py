"""The GraphQL endpoint, the one door for GraphQL over HTTP: strawberry's ASGI app with our
context, JSON codec and GraphiQL, and the planner's known path in front of its pipeline.

Every HTTP request passes the guards (app/http/guards.py) first. Its body is read and decoded
once, with a persisted query's document filled in: a JSON POST by `json_request_data`, whose
data the planner's known path answers if it answered the same query whole before, and which
strawberry's `parse_http_body` takes over otherwise; any other request by strawberry alone.
An outage of PostgreSQL or Redis is a 503 with Retry-After. A request that is not one GraphQL
can run (another method, media type, a body that is not a JSON object, no operation to run,
a document that does not parse) is answered in JSON too, with a code: `RequestError`.
Sockets: app/http/websockets.py.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Protocol

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException, StarletteRequestAdapter
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.streaming import HTTPStreamTransport
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from app.graphiql import graphiql_html
from app.http.errors import RequestError, service_unavailable
from app.http.event_streams import is_event_stream
from app.http.guards import admit
from app.http.negotiation import GRAPHQL_RESPONSE_JSON, response_media_type
from app.http.persisted_queries import PersistedQueryError, fill_in_documents
from app.http.request_data import (
    is_json,
    read_body,
    refuse_media_type,
    replay,
    single_operation,
    with_files,
)
from app.http.websockets import (
    LimitedLegacyWSHandler,
    LimitedTransportWSHandler,
    WebSocketAdapter,
    WebSocketContext,
    authenticate_socket,
)
from db.scope import Principal
from graphql_schema.context import Context
from graphql_schema.errors import OPERATION_RESOLUTION_FAILURE, REQUEST_ERRORS
from services.availability import RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE, outage_of
from services.metrics import OPERATION, Operation
from services.system_log import bind_request

RequestData = GraphQLRequestData | list[GraphQLRequestData]
REQUEST_DATA = "graphql_request_data"  # in the request's state: the body, decoded once
REQUEST_BODY = "graphql_request_body"  # or the body itself, read but not one operation
HTTP_STREAMS = (GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL)
METHODS = ("GET", "POST")  # GraphQL over HTTP's; any other is a 405 naming them
SUBSCRIPTION = OperationType.SUBSCRIPTION


def outage_answer(error: Exception) -> Response:
    """503 when PostgreSQL or Redis could not serve the request (the client may retry);
    anything else is raised again, to the server error middleware."""
    outage = outage_of(error)
    if outage is None:
        raise error
    return service_unavailable(outage)


class KnownAnswer(Protocol):
    """What the planner's `answer_known` returns: the data, and whatever produced it (kept
    until the response is sent, so it is freed after the answer left)."""

    data: dict[str, Any]
    operation_name: str | None  # the document's own name for the operation


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
        if request.method not in METHODS:
            await RequestError(405, "GraphQL is served over GET and POST only",
                               headers={"allow": ", ".join(METHODS)}).response()(
                scope, receive, send)
            return
        try:
            refusal = await admit(request)
        except Exception as error:
            refusal = outage_answer(error)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        principal: Principal = scope["state"]["principal"]
        with bind_request(request.headers.get("x-request-id"), principal.user_id):
            known = None  # kept until the response is sent: its rows are freed after that
            try:
                known = await self.answer_known(request, principal)
                response = (await self.run(request) if known is None else Response(
                    orjson.dumps({"data": known.data}),
                    media_type=response_media_type(request.headers.get("accept", ""))))
            except RequestError as refused:
                response = refused.response()
            except HTTPException as refused:  # strawberry's other refusals, in JSON too
                response = RequestError(refused.status_code, refused.reason).response()
            except PersistedQueryError as answer:
                response = answer.response()
            except ClientDisconnect:
                return  # gone while sending its body: nobody reads an answer
            except Exception as error:
                response = outage_answer(error)
            if is_event_stream(response):  # a subscription over SSE: ended at shutdown
                await request.app.state.event_streams.serve(response, scope, receive, send)
            else:
                await response(scope, receive, send)

    async def answer_known(self, request: Request, principal: Principal) -> KnownAnswer | None:
        """The planner's answer to a JSON POST of a query it has answered whole before (the
        same text: parsed, validated and limited then), or None: strawberry answers it."""
        planner = getattr(self.schema, "planner", None)
        if (planner is None or request.method != "POST" or self.asks_for_stream(request)
                or not is_json(request.headers.get("content-type"))):
            return None  # (multipart: uploads are never known queries)
        data = await self.json_request_data(request)
        if (data is None or not isinstance(data.query, str)
                or not isinstance(data.operation_name, str | None)):
            return None
        state = request.app.state
        answer: KnownAnswer | None = await planner.answer_known(
            self.schema, data.query, data.operation_name, data.variables, state.db, principal,
            state.settings)
        if answer is not None:  # as OperationObserver tells it of strawberry's answers
            request.scope["state"][OPERATION] = Operation("query", answer.operation_name, "ok")
        return answer

    async def json_request_data(self, request: Request) -> GraphQLRequestData | None:
        """A JSON POST's request data, decoded from its body once: kept in the request's
        state for strawberry's `parse_http_body`. None when the body is not one operation
        (strawberry then reads the body kept instead, and refuses it or runs a batch)."""
        state = request.scope["state"]
        body = await read_body(request.receive)
        data = single_operation(self.parse_json(body))
        if data is None:
            state[REQUEST_BODY] = body
            return None
        if data.extensions:
            await fill_in_documents(request.app.state, data)
        state[REQUEST_DATA] = data
        return data

    async def parse_http_body(self, request_adapter: AsyncHTTPRequestAdapter) -> RequestData:
        """The request data the known path decoded, else strawberry's decoding (of the body
        the known path read, if it did), with persisted queries' documents filled in."""
        assert isinstance(request_adapter, RequestAdapter)  # request_adapter_class
        request = request_adapter.request
        state = request.scope.setdefault("state", {})
        known_path: GraphQLRequestData | None = state.get(REQUEST_DATA)
        if known_path is not None:
            return known_path
        body = state.get(REQUEST_BODY)
        if body is not None:
            request_adapter = RequestAdapter(Request(request.scope, replay(body, request.receive)))
        elif request.method == "POST":
            refuse_media_type(request.headers.get("content-type"), self.multipart_uploads_enabled)
        data = await super().parse_http_body(request_adapter)
        await fill_in_documents(request.app.state, data)
        return data

    def parse_json(self, data: str | bytes) -> Any:
        """A JSON body, GET parameter or multipart part as strawberry reads it; what does not
        decode (lone surrogates included), or is neither an object nor a list, is a request
        error (strawberry would fail on a number or a string with a 500)."""
        try:
            decoded = self.decode_json(data)
        except orjson.JSONDecodeError as error:
            raise RequestError(400, f"Unable to parse the request as JSON: {error}") from None
        if not isinstance(decoded, dict | list):
            raise RequestError(400, "A GraphQL request, its variables and its extensions are "
                                    'JSON objects, such as {"query": "{ __typename }"}')
        return decoded

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, Any]:
        """An upload's operations with its files in place (GraphQL multipart request); a form
        that does not parse, or a `map` that does not fit the operations, is a request error."""
        try:
            form = await request.get_form_data()
        except (ValueError, StarletteHTTPException) as error:
            raise RequestError(400, f"Unable to parse the multipart body: {error}") from None
        parts = [form.form.get(name, "{}") for name in ("operations", "map")]
        operations, files_map = (self.parse_json(part) if isinstance(part, str | bytes)
                                 else part for part in parts)
        return with_files(operations, files_map, form.files)

    async def execute_single(self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
                             sub_response: Response, context: Context,
                             root_value: None, request_data: GraphQLRequestData
                             ) -> ExecutionResult:
        """strawberry's execution of one operation that is answered once (subscriptions are
        served over websockets), with its refusals as request errors with codes: no
        operation to run (400), a subscription (400), a mutation over GET (405, as GraphQL
        over HTTP requires, naming POST)."""
        method = request_adapter.method
        try:
            return await self.schema.execute(
                request_data.query, root_value=root_value,
                variable_values=request_data.variables, context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=OperationType.from_http(method) - {SUBSCRIPTION},
                operation_extensions=request_data.extensions)
        except (CannotGetOperationTypeError, MissingQueryError) as error:
            message = (error.as_http_error_reason()
                       if isinstance(error, CannotGetOperationTypeError)
                       else "No GraphQL query found in the request")
            raise RequestError(400, message, OPERATION_RESOLUTION_FAILURE) from None
        except InvalidOperationTypeError as error:
            if error.operation_type is SUBSCRIPTION:
                raise RequestError(400, "Subscriptions are served over websockets "
                                        "(graphql-transport-ws or graphql-ws)") from None
            raise RequestError(405, error.as_http_error_reason(method),
                               headers={"allow": "POST"}) from None

    @cached_property
    def stream_transports(self) -> list[HTTPStreamTransport]:
        """The enabled ways of streaming an answer over HTTP (server-sent events...)."""
        return [self.stream_transport_classes_by_protocol[protocol]()
                for protocol in HTTP_STREAMS if protocol in self.protocols]

    def asks_for_stream(self, request: Request) -> bool:
        """Whether the request's Accept header asks for a streamed answer (a subscription
        over server-sent events): then strawberry's pipeline answers it."""
        accept = request.headers.get("accept", "")
        return any(transport.accepts(accept) for transport in self.stream_transports)

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
        media type, a 400, without `data` at all for a request error (a document that does
        not parse or validate, invalid variables: nothing was executed)."""
        media_type = sub_response.media_type or "application/json"
        status_code = sub_response.status_code or 200
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        outage = False
        if errors and isinstance(response_data, dict) and response_data.get("data") is None:
            codes = [(error.get("extensions") or {}).get("code") for error in errors]
            outage = all(code == SERVICE_UNAVAILABLE for code in codes)
            if outage:
                status_code = 503
            elif media_type == GRAPHQL_RESPONSE_JSON:
                status_code = 400
                if all(code in REQUEST_ERRORS and "path" not in error
                       for code, error in zip(codes, errors, strict=True)):
                    response_data = response_data.copy()
                    del response_data["data"]
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
