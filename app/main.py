"""The ASGI application: /graphql (HTTP and websockets), GraphiQL's assets, /healthz and
signed file downloads (/files/{id}, local storage)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from app.graphiql import static_app
from app.http.graphql import GraphQLApp
from app.lifespan import lifespan
from graphql_schema.schema import build_schema
from services.settings import Settings, get_settings
from services.storage import make_storage
from services.storage.local import download_file


async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    await state.db.fetch("SELECT 1")
    await state.redis.ping()
    return JSONResponse({"status": "ok"})


class Application(Starlette):
    """Starlette, with /graphql's HTTP requests handed straight to the GraphQL app.

    Its router and exception middlewares do nothing for that app (it answers its own
    errors; an unexpected one still reaches uvicorn, which answers 500 and logs it, as
    Starlette's would) and cost ≈ 25 µs of a 400 µs small query. Everything else, and
    /graphql over websockets, takes the usual way."""

    def __init__(self, graphql: GraphQLApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope["path"] == "/graphql"
                and scope["method"] in ("GET", "POST")):
            scope["app"] = self
            await self.graphql(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    graphql = GraphQLApp(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        multipart_uploads_enabled=True,  # uploadFile; a preflight header is required
    )
    app = Application(
        graphql,
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount("/static/graphiql", static_app(), name="graphiql-static"),
            Route("/healthz", healthz),
            Route("/files/{file_id}", download_file, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.storage = make_storage(settings)  # connects on first use only
    return app
