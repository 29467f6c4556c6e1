"""A database outage under a running app is answered once, SERVICE_UNAVAILABLE: the planner
does not hand the request to strawberry to meet the same outage a second time.

The test suite's PostgreSQL serves the whole session, so these tests stop a server of their
own (embedded, in a temporary folder) under an app of their own, and start it again."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from app.embedded import EmbeddedServices
from app.main import create_app
from db import migrate
from db.scope import Principal
from db.session import asyncpg_dsn
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from services.availability import POSTGRES, REDIS, ServiceUnavailable, outage_of
from services.settings import Settings
from tests.graphql import error_codes

ORGS = "{ organizations(first: 5) { edges { node { name } } } }"


def fresh(document: str) -> str:
    """The document under a text no earlier request has sent (a comment makes it new)."""
    return f"# {secrets.token_hex(8)}\n{document}"


@dataclass
class Outage:
    """An app on a PostgreSQL of its own, which the test may stop and start again."""

    app: Starlette
    client: httpx.AsyncClient
    data_dir: Path
    statements: list[str]
    servers: EmbeddedServices

    @property
    def snapshot(self) -> dict:
        return self.app.graphql.schema.planner.stats.snapshot()  # type: ignore[attr-defined]

    async def stop_postgres(self) -> None:
        await asyncio.to_thread(self.servers.stop)

    async def start_postgres(self) -> None:
        self.servers = EmbeddedServices(self.data_dir, postgres=True, redis=False)
        await asyncio.to_thread(self.servers.start)

    async def post(self, query: str) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query})


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    data_dir = tmp_path_factory.mktemp("outage")
    with EmbeddedServices(data_dir, postgres=True, redis=False) as servers:
        url = servers.database_url
        migrate.upgrade(url)
    yield data_dir, url


@pytest.fixture
async def outage(own_postgres: tuple[Path, str], settings: Settings
                 ) -> AsyncIterator[Outage]:
    data_dir, url = own_postgres
    servers = EmbeddedServices(data_dir, postgres=True, redis=False)
    await asyncio.to_thread(servers.start)
    app = create_app(settings.model_copy(update={
        "database_url": url, "system_log_level": "OFF", "planner": True}))
    statements: list[str] = []
    try:
        async with app.router.lifespan_context(app):
            app.state.db.listeners.append(statements.append)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://test") as client:
                outage = Outage(app, client, data_dir, statements, servers)
                yield outage
                servers = outage.servers  # (started again by the test, maybe)
    finally:
        await asyncio.to_thread(servers.stop)


async def test_a_planned_query_meets_a_stopped_database_once(outage: Outage) -> None:
    # given a query the planner answered whole, so the next request of it is a known one
    known = fresh(ORGS)
    assert (await outage.post(known)).json() == {"data": {"organizations": {"edges": []}}}
    assert (await outage.post(known)).status_code == 200
    assert outage.snapshot["known"] == 1

    # when PostgreSQL stops under the running app
    await outage.stop_postgres()
    before = outage.snapshot

    # then a first request is executed once (one statement tried, no strawberry rerun) ...
    outage.statements.clear()
    first = (await outage.post(fresh(ORGS))).json()
    assert error_codes(first) == ["SERVICE_UNAVAILABLE"]
    assert first["data"] is None
    assert first["errors"][0]["message"] == "PostgreSQL is unavailable; try again shortly"
    assert len(outage.statements) == 1

    # ... and so is a known one, whose door raises the outage for the HTTP layer (503)
    outage.statements.clear()
    schema, state = outage.app.graphql.schema, outage.app.state  # type: ignore[attr-defined]
    with pytest.raises(ServiceUnavailable) as raised:
        await schema.planner.answer_known(schema, known, None, None, state.db,
                                          Principal.anonymous(), state.settings)
    assert raised.value.code == "SERVICE_UNAVAILABLE" and raised.value.service == POSTGRES
    assert len(outage.statements) == 1

    after = outage.snapshot
    assert after["outage"] == before["outage"] + 2
    assert after["fallback"] == before["fallback"]  # nothing handed to strawberry
    assert after["planned"] == before["planned"]

    # and once PostgreSQL is back, the next request is answered (the pool reconnects)
    await outage.start_postgres()
    again = await outage.post(known)
    assert again.json() == {"data": {"organizations": {"edges": []}}}
    assert outage.snapshot["known"] == after["known"] + 1


async def test_any_resolver_meeting_a_stopped_database_gets_the_code(outage: Outage) -> None:
    # given a schema without the planner: strawberry's own resolvers read the database
    state = outage.app.state
    reference = build_schema(state.settings.model_copy(update={"planner": False}))
    context = Context(settings=state.settings, db=state.db, redis=state.redis,
                      principal=Principal.anonymous())

    # when PostgreSQL is stopped
    await outage.stop_postgres()
    outage.statements.clear()
    result = await reference.execute(ORGS, context_value=context)

    # then the error says so, with its code, instead of INTERNAL_SERVER_ERROR
    assert [e.extensions for e in result.errors or []] == [{"code": "SERVICE_UNAVAILABLE"}]
    assert result.errors[0].message == "PostgreSQL is unavailable; try again shortly"
    assert len(outage.statements) == 1


async def test_a_stopped_redis_and_a_stopped_postgres_are_outages(tmp_path: Path) -> None:
    """What the clients raise against real stopped servers (over unix sockets, as embedded)."""
    from redis.asyncio import Redis

    servers = EmbeddedServices(tmp_path, postgres=True, redis=True)
    await asyncio.to_thread(servers.start)
    redis, dsn = Redis.from_url(servers.redis_url), asyncpg_dsn(servers.database_url)
    connection = await asyncpg.connect(dsn)
    await redis.ping()
    await asyncio.to_thread(servers.stop)
    try:
        errors = {}
        for name, job in [("redis", redis.ping),
                          ("open connection", lambda: connection.fetch("SELECT 1")),
                          ("new connection", lambda: asyncpg.connect(dsn))]:
            with pytest.raises(Exception) as raised:
                await job()
            errors[name] = raised.value
    finally:
        await redis.aclose()
    found = {name: outage_of(error) for name, error in errors.items()}
    assert {name: outage.service for name, outage in found.items() if outage} == {
        "redis": REDIS, "open connection": POSTGRES, "new connection": POSTGRES}, errors


def test_a_missing_file_is_not_an_outage(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        (tmp_path / "gone").read_bytes()
    assert outage_of(raised.value) is None


def test_a_connection_left_in_operation_by_a_stopped_server_is_an_outage() -> None:
    """What asyncpg raised once when PostgreSQL stopped under a pooled connection; its other
    internal errors stay bugs."""
    cut = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 11; another operation (2) is in progress")
    other = asyncpg.exceptions.InternalClientError("unexpected data type")

    assert outage_of(cut) is not None and outage_of(cut).service == POSTGRES  # type: ignore[union-attr]
    assert outage_of(other) is None
