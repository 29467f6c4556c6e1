"""/graphql over websockets: authentication in `connection_init`, per-socket limits.

A socket authenticates with `connection_init`'s payload (or the upgrade request's header) and
is refused with 4401 and the refusal's code as reason, or closed with 1013 (try again later)
and SERVICE_UNAVAILABLE when PostgreSQL or Redis could not serve its authentication (down, or
no free connection within the pool's timeout). A message the protocol does not describe
closes a graphql-transport-ws socket with 4400 and gets an `error` message in graphql-ws.
Each operation a socket starts counts against the same rate limit as HTTP requests, and a
socket runs at most `ws_max_subscriptions` operations at once: an operation over either is
refused alone, with an `error` message for its id (RATE_LIMITED or TOO_MANY_SUBSCRIPTIONS),
the socket stays open.

When the server shuts down, every open socket is closed with 1001 (going away), so clients
reconnect to another process at once; uvicorn alone would close them with 1012.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message, SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.types import OperationMessage, StartMessage

from app.http.errors import rate_limited
from db.scope import Principal
from graphql_schema.context import Context, Loaders
from graphql_schema.fanout import LegacyWSHandler, TransportWSHandler
from services.auth import authenticate
from services.availability import ServiceUnavailable, outage_of
from services.metrics import RATE_LIMITED
from services.ratelimit import check_operation
from services.security.tokens import TokenError
from services.system_log import bind_user

WS_UNAUTHORIZED = 4401  # no usable credential: log in again or replace the key
WS_GOING_AWAY = 1001  # the server is shutting down: reconnect (to another process)
WS_TRY_AGAIN_LATER = 1013  # PostgreSQL or Redis could not serve the socket's authentication
GOING_AWAY_REASON = "The server is shutting down"
MAX_CLOSE_REASON = 123  # bytes: a control frame's 125, less the close code's 2


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


async def authenticate_socket(context: WebSocketContext) -> None:
    """Authenticate a socket from `connection_init`'s payload ({"Authorization": "Bearer
    ..."}, key in any case), else from the upgrade request's header. No credential: the
    socket is anonymous. A refused credential closes it with 4401 and the code as reason."""
    websocket = context.request
    assert isinstance(websocket, WebSocket)
    params = context.connection_params or {}
    authorization = next((v for k, v in params.items() if k.lower() == "authorization"),
                         websocket.headers.get("authorization"))
    try:
        if authorization is not None and not isinstance(authorization, str):
            raise TokenError("TOKEN_INVALID", "Authorization must be a string")
        principal = await authenticate(authorization, websocket.app.state)
    except TokenError as refused:
        raise ws_rejection(websocket, WS_UNAUTHORIZED, refused.code, refused.message) from None
    except Exception as error:
        outage = outage_of(error)
        if outage is None:
            raise
        raise ws_rejection(websocket, WS_TRY_AGAIN_LATER, outage.code, outage.message
                           ) from None
    context.use_principal(principal)
    bind_user(principal.user_id)  # the socket's later log records name its caller


class WebSocketAdapter(ASGIWebSocketAdapter):
    @property
    def closed(self) -> bool:
        return self.ws.application_state is WebSocketState.DISCONNECTED

    async def send_json(self, message: Mapping[str, object]) -> None:
        """Text frames, as both protocols' clients expect (browsers cannot parse a binary
        frame's Blob as JSON); strawberry sends our encoder's bytes as binary frames.
        A socket closed at shutdown is disconnected for the operations still running on it."""
        if self.closed:
            raise WebSocketDisconnected
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        """The close frame's reason is cut to the 123 bytes a frame has room for (strawberry
        closes with an error's message, which may quote a long part of a document)."""
        if self.closed:
            return  # closed at shutdown: the handler's own close comes after
        code, reason = self.ws.scope.get("state", {}).get("ws_refusal", (code, reason))
        await super().close(code, reason.encode()[:MAX_CLOSE_REASON].decode(errors="ignore"))


class OpenSockets:
    """The process's open GraphQL sockets (`app.state.sockets`), so shutdown can close them.

    The handlers of both protocols register their socket for as long as they serve it.
    """

    def __init__(self) -> None:
        self._sockets: set[WebSocketAdapter] = set()
        self.closing = False

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: WebSocketAdapter) -> None:
        self._sockets.add(socket)

    def discard(self, socket: WebSocketAdapter) -> None:
        self._sockets.discard(socket)

    async def close_all(self) -> None:
        """Close every open socket with 1001; sockets that open from now on close at once.
        Each socket's handler then ends its operations as on a client's disconnect."""
        self.closing = True  # a socket its client dropped meanwhile needs no close: ignored
        await asyncio.gather(*(s.close(WS_GOING_AWAY, GOING_AWAY_REASON)
                               for s in list(self._sockets)), return_exceptions=True)


class ClosedOnShutdown:
    """For both protocols' handlers: the socket is in `app.state.sockets` while it is served."""

    websocket: WebSocketAdapter
    context: WebSocketContext

    async def handle(self) -> None:
        assert isinstance(self.context.request, WebSocket)
        sockets: OpenSockets = self.context.request.app.state.sockets
        if sockets.closing:
            await self.websocket.close(WS_GOING_AWAY, GOING_AWAY_REASON)
            return
        sockets.add(self.websocket)
        try:
            await super().handle()  # type: ignore[misc]
        finally:
            sockets.discard(self.websocket)


def malformed(message: object, start: str, stop: str) -> str | None:
    """Why a client's message cannot be handled, or None: strawberry's handlers index a
    message as the protocol describes it, and one of another shape (JSON that is not an
    object, an operation without an id or a query) would end the socket without a close."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message is a JSON object with a string `type`"
    if message["type"] not in (start, stop):
        return None
    if not isinstance(message.get("id"), str):
        return f"A `{message['type']}` message has a string `id`"
    payload = message.get("payload")
    if message["type"] == start and not (
            isinstance(payload, dict) and isinstance(payload.get("query"), str)
            and isinstance(payload.get("variables"), dict | None)
            and isinstance(payload.get("operationName"), str | None)):
        return (f"A `{start}` payload has a string `query` (and object `variables`, "
                "string `operationName`)")
    return None


async def operation_refusal(context: WebSocketContext, active: int) -> dict[str, object] | None:
    """Why a socket may not start one more operation (a GraphQL error), or None. The cap is
    checked first, so an operation it refuses is not counted against the rate limit."""
    settings = context.settings
    if active >= settings.ws_max_subscriptions:
        return {"message": f"At most {settings.ws_max_subscriptions} operations may run at "
                           "once on one socket",
                "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"}}
    assert isinstance(context.request, WebSocket)
    try:
        retry_after = await check_operation(context.request, context.principal)
    except ServiceUnavailable as outage:  # Redis is down and the limit fails closed
        return {"message": outage.message, "extensions": {"code": outage.code}}
    if retry_after is None:
        return None
    RATE_LIMITED.labels("websocket").inc()
    return rate_limited(retry_after)


class LimitedTransportWSHandler(ClosedOnShutdown, TransportWSHandler):
    """graphql-transport-ws: an operation over a limit gets an `error` message for its id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_subscriptions_per_connection = None  # ours, with a code, comes first

    async def handle_message(self, message: Message) -> None:
        """A message the protocol does not describe closes the socket with 4400 and why."""
        problem = malformed(message, "subscribe", "complete")
        if problem is not None:
            await self.handle_invalid_message(problem)
            return
        await super().handle_message(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            refusal = await operation_refusal(self.context, len(self.operations))
            if refusal is not None:
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": [refusal]})
                return
        await super().handle_subscribe(message)

    async def handle_task_exception(self, error: Exception) -> None:
        """A client that closed its socket while an event was on its way did nothing wrong:
        strawberry would log it as a failed operation, with a traceback. Other failures are
        still logged."""
        if isinstance(error, WebSocketDisconnected):
            return
        await super().handle_task_exception(error)


class LimitedLegacyWSHandler(ClosedOnShutdown, LegacyWSHandler):
    """graphql-ws: an operation over a limit gets an `error` message for its id."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_subscriptions_per_connection = None  # ours, with a code, comes first

    async def handle_message(self, message: OperationMessage) -> None:
        """A message the protocol does not describe gets an `error` message (for its id, if
        it has one) with code BAD_REQUEST; the socket stays open, as the protocol's servers
        keep it."""
        problem = malformed(message, "start", "stop")
        if problem is not None:
            id_ = message.get("id") if isinstance(message, dict) else None
            await self.send_message({  # type: ignore[typeddict-item]
                "type": "error", **({"id": id_} if isinstance(id_, str) else {}),
                "payload": {"message": problem, "extensions": {"code": "BAD_REQUEST"}}})
            return
        await super().handle_message(message)

    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            replaced = message["id"] in self.tasks  # a start with a running id replaces it
            refusal = await operation_refusal(self.context, len(self.tasks) - replaced)
            if refusal is not None:
                await self.send_message({"type": "error", "id": message["id"],
                                         "payload": refusal})
                return
        await super().handle_start(message)
