"""The ASGI application: /graphql (HTTP and websockets), GraphiQL's assets, /healthz and
signed file downloads (/files/{id}, local storage)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from app.graphiql import static_app
from app.graphql_app import GraphQLApp
from app.lifespan import lifespan
from app.settings import Settings, get_settings
from app.storage import make_storage
from app.storage.local import download_file
from graphql_schema.schema import build_schema


async def healthz(request: Request) -> JSONResponse:
    state = request.app.state
    await state.db.fetch("SELECT 1")
    await state.redis.ping()
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    graphql = GraphQLApp(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        multipart_uploads_enabled=True,  # uploadFile; a preflight header is required
    )
    app = Starlette(
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
