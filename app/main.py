"""The ASGI application: /graphql (HTTP and websockets), GraphiQL's assets, the probes
(/livez, /readyz, /healthz), /metrics, signed file downloads (/files/{id}, local storage) and
the OpenAI-compatible gateway (/v1, app/http/gateway/).

Every request passes OpenTelemetry's server span when tracing is on (services/telemetry.py),
the request observer (request log, metrics) and, when other origins are configured, CORS,
/graphql's included; websocket pages are checked against the same origins by strawberry."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, ExceptionHandler, Receive, Scope, Send
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    GRAPHQL_WS_PROTOCOL,
)

from app.graphiql import static_app
from app.http.cors import CORS
from app.http.gateway import gateway
from app.http.graphql import GraphQLApp
from app.http.health import livez, readyz
from app.http.metrics import metrics
from app.http.observe import RequestObserver
from app.http.oidc import oidc_callback, oidc_login
from app.lifespan import lifespan
from graphql_schema.schema import build_schema
from services import telemetry
from services.oidc.client import OidcClient
from services.settings import Settings, get_settings
from services.storage import make_storage
from services.storage.local import download_file


class GraphQLFirst:
    """The innermost dispatch: /graphql's HTTP requests to the GraphQL app (which answers
    other methods than GET and POST with a JSON 405), everything else (other paths,
    /graphql's websockets) to the router.

    The router's matching and the exception middleware do nothing for the GraphQL app: it
    answers its own errors, and an unexpected one reaches the server error middleware like
    any route's."""

    def __init__(self, graphql: ASGIApp, router: ASGIApp) -> None:
        self.graphql = graphql
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            await self.graphql(scope, receive, send)
        else:
            await self.router(scope, receive, send)


class Application(Starlette):
    """Starlette, with every middleware (the server error middleware, the app's own list)
    around every request, and /graphql's GET and POST handed from the innermost layer to the
    GraphQL app without the router."""

    def __init__(self, graphql: GraphQLApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.graphql = graphql

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack (its own `build_middleware_stack`) with `GraphQLFirst` in front
        of the exception middleware and the router."""
        error_handler = None
        exception_handlers: dict[Any, ExceptionHandler] = {}
        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                exception_handlers[key] = value
        app: ASGIApp = GraphQLFirst(self.graphql, ExceptionMiddleware(
            self.router, handlers=exception_handlers, debug=self.debug))
        middleware = [Middleware(ServerErrorMiddleware, handler=error_handler, debug=self.debug)]
        if self.max_body_size is not None:
            middleware.append(Middleware(RequestBodyLimitMiddleware,
                                         max_body_size=self.max_body_size))
        middleware += self.user_middleware
        for cls, args, kwargs in reversed(middleware):
            app = cls(app, *args, **kwargs)
        return app


# the headers browser clients of GraphQL send (Apollo, urql, graphql-request, GraphiQL)
GRAPHQL_CLIENT_HEADERS = ("content-type", "authorization", "apollo-require-preflight",
                          "x-apollo-operation-name", "graphql-preflight", "x-request-id",
                          "traceparent")
# the headers OpenAI's SDKs (Stainless-generated: openai in a browser) send with every call
# to /v1; a preflight that does not allow each of them fails the SDK's call
OPENAI_CLIENT_HEADERS = (
    "x-stainless-os", "x-stainless-lang", "x-stainless-package-version",
    "x-stainless-runtime", "x-stainless-runtime-version", "x-stainless-arch",
    "x-stainless-retry-count", "x-stainless-timeout", "x-stainless-async",
    "openai-organization", "openai-project")
CORS_HEADERS = GRAPHQL_CLIENT_HEADERS + OPENAI_CLIENT_HEADERS
CORS_MAX_AGE = 600  # seconds a browser may reuse a preflight's answer


def observers(settings: Settings) -> list[Middleware]:
    """The middleware every request passes first: the request observer, then CORS for the
    configured origins (none: browsers keep pages of other origins out, as by default)."""
    origins = settings.allowed_origins
    stack = [Middleware(RequestObserver)]
    if origins:
        stack.append(Middleware(
            CORS, allow_origins=origins, allow_methods=["GET", "POST"],
            allow_headers=list(CORS_HEADERS), allow_credentials=settings.cors_allow_credentials,
            expose_headers=["retry-after"], max_age=CORS_MAX_AGE))
    return stack


def tracing() -> list[Middleware]:
    """With tracing on (services/telemetry.py), the outermost middleware: OpenTelemetry's
    server span per request, a client's `traceparent` continued, named for the GraphQL
    operation; off, none at all."""
    if not telemetry.enabled():
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    excluded = os.environ.get("OTEL_PYTHON_ASGI_EXCLUDED_URLS", telemetry.EXCLUDED_URLS)
    return [Middleware(OpenTelemetryMiddleware, excluded_urls=excluded,
                       exclude_spans=["receive", "send"]),
            Middleware(telemetry.OperationSpan)]


def create_app(settings: Settings | None = None,
               middleware: Sequence[Middleware] = ()) -> Starlette:
    """The application; `middleware` wraps every request, /graphql's included (outermost
    first, as Starlette's `middleware=` takes it)."""
    settings = settings or get_settings()
    graphql = GraphQLApp(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        # websockets, and server-sent events (graphql-sse, distinct connections) for clients
        # behind proxies that do not pass websockets
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL,
                                GRAPHQL_SSE_PROTOCOL),
        multipart_uploads_enabled=True,  # uploadFile; a preflight header is required
        # pages of these origins may open sockets too; others but the server's own may not
        allowed_origins=settings.allowed_origins,
    )
    app = Application(
        graphql,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/static/graphiql", static_app(), name="graphiql-static"),
            Route("/livez", livez),
            Route("/readyz", readyz),
            Route("/healthz", readyz),
            Route("/metrics", metrics),
            Route("/files/{file_id}", download_file, methods=["GET", "HEAD"]),
            Route("/auth/oidc/login", oidc_login, name="oidc_login"),
            Route("/auth/oidc/callback", oidc_callback, name="oidc_callback"),
            gateway(),
        ],
        middleware=[*tracing(), *observers(settings), *middleware],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.storage = make_storage(settings)  # connects on first use only
    app.state.oidc = OidcClient(settings) if settings.oidc_issuer else None  # single sign-on
    return app
