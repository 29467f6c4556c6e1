"""Middleware given to `create_app` wraps every request: /graphql's GET and POST (which skip
the router) as well as a planned known query, /healthz, and the router's own 405."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.main import Application, create_app

ORGS = "{ organizations(first: 5) { edges { node { name } } } }"


class Witness:
    """A pure ASGI middleware: notes each HTTP request it sees and marks its response."""

    def __init__(self, app: ASGIApp, seen: list[tuple[str, str]]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.seen.append((scope["method"], scope["path"]))

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-witness", b"seen")]
            await send(message)

        await self.app(scope, receive, marked)


@pytest.fixture
async def witnessed(settings, db) -> AsyncIterator[tuple[Application, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    app = create_app(settings, middleware=[Middleware(Witness, seen=seen)])
    assert isinstance(app, Application)
    async with app.router.lifespan_context(app):
        yield app, seen


async def test_middleware_wraps_graphql_known_queries_and_other_routes(witnessed) -> None:
    app, seen = witnessed
    planner = app.graphql.schema.planner  # type: ignore[attr-defined]
    query = f"# {secrets.token_hex(8)}\n{ORGS}"  # a text no earlier request has sent
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        got = await client.get("/graphql", params={"query": ORGS})
        first = await client.post("/graphql", json={"query": query})
        known_before = planner.stats.snapshot()["known"]
        known = await client.post("/graphql", json={"query": query})
        known_after = planner.stats.snapshot()["known"]
        health = await client.get("/healthz")
        refused = await client.put("/graphql", json={"query": ORGS})

    assert known_after == known_before + 1  # the second POST took the planner's known path
    assert [r.status_code for r in (got, first, known, health, refused)] == [
        200, 200, 200, 200, 405]
    assert got.json() == first.json() == known.json() == {"data": {"organizations": {
        "edges": []}}}
    assert all(r.headers["x-witness"] == "seen" for r in (got, first, known, health, refused))
    assert seen == [("GET", "/graphql"), ("POST", "/graphql"), ("POST", "/graphql"),
                    ("GET", "/healthz"), ("PUT", "/graphql")]
