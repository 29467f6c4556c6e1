"""Test services: a real PostgreSQL and a real Redis (embedded unless DATABASE_URL/REDIS_URL
are set), one migrated test database for the session, tables truncated after each test."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app.main import create_app
from db import migrate
from db.base import Base
from db.session import Database, asyncpg_dsn
from services.settings import Settings

TEST_DATABASE = "aiplatform_test"


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(server database URL, redis URL): the environment's, or embedded servers of our own."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        yield database_url, redis_url
        return
    from app.embedded import EmbeddedServices

    data_dir = Path(os.environ.get("AIPLATFORM_TEST_DATA_DIR") or tmp_path_factory.mktemp("data"))
    with EmbeddedServices(data_dir, postgres=not database_url, redis=not redis_url) as embedded:
        yield (database_url or embedded.database_url, redis_url or embedded.redis_url)


def _database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(services: tuple[str, str]) -> str:
    """A freshly created and migrated test database."""
    server_url = services[0]

    async def recreate() -> None:
        con = await asyncpg.connect(asyncpg_dsn(_database(server_url, "postgres")))
        try:
            await con.execute(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")
            await con.execute(f"CREATE DATABASE {TEST_DATABASE}")
        finally:
            await con.close()

    asyncio.run(recreate())
    url = _database(server_url, TEST_DATABASE)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url(services: tuple[str, str]) -> str:
    return services[1]


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str,
             tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The tests' settings: files, Qdrant and Chroma folders in a data folder of this run."""
    return Settings(database_url=database_url, redis_url=redis_url, mask_errors=True,
                    secret_key=SecretStr(secrets.token_urlsafe(32)),
                    data_dir=tmp_path_factory.mktemp("app-data"),
                    # tests run jobs themselves (in-process, or in worker processes of
                    # tests/jobs) instead of a worker racing them inside the app
                    run_worker=False)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def db(app: Starlette, database_url: str) -> AsyncIterator[Database]:
    """The app's database; every table is truncated after the test (DESIGN.md §5.2 habit 15)."""
    yield app.state.db
    if getattr(app.state, "system_log", None) is not None:
        await app.state.system_log.flush()  # the test's log records land before the truncation
    tables = ", ".join([t.name for t in Base.metadata.sorted_tables] + ["procrastinate_jobs"])
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # a background task (ingestion, a chat reply) may still be writing what the test left
        # behind; PostgreSQL then breaks the lock cycle by aborting one side, maybe this one
        for attempt in range(5):
            try:
                await con.execute(f"TRUNCATE {tables} CASCADE")
                break
            except asyncpg.DeadlockDetectedError:
                if attempt == 4:
                    raise
    finally:
        await con.close()


@pytest.fixture
async def client(app: Starlette, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def session(db: Database) -> AsyncIterator[AsyncSession]:
    """A write session for factories: they flush, the test commits what it needs visible."""
    async with db.sessionmaker() as s:
        yield s


@pytest.fixture
async def redis(app: Starlette) -> Redis:
    return app.state.redis


async def bearer_headers(app: Starlette, session: AsyncSession, user) -> dict[str, str]:
    """Log `user` in through the same session code as `logIn`; commits."""
    from services.security.sessions import open_session

    tokens = await open_session(session, app.state.settings, user_id=user.id)
    await session.commit()
    return {"authorization": f"Bearer {tokens.access_token}"}


MemberClient = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def member_client(app: Starlette, db: Database) -> AsyncIterator[MemberClient]:
    """`await member_client(org, ..., role="member")`: a client logged in as a new user who
    belongs to exactly those (committed) organizations, so reads go through tenant scoping
    (db/scope.py) as an ordinary member's do. Memberships are made before the login because
    a user's roles are cached from their first request on."""
    from db.models import Membership, User

    clients: list[httpx.AsyncClient] = []

    async def log_in(*organizations, role: str = "member",
                     username: str | None = None) -> httpx.AsyncClient:
        name = username or f"reader{len(clients) + 1}"
        async with db.sessionmaker() as s:
            user = User(email=f"{name}@example.com", username=name)
            s.add(user)
            await s.flush()
            s.add_all(Membership(organization_id=o.id, user_id=user.id, role=role)
                      for o in organizations)
            headers = await bearer_headers(app, s, user)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test", headers=headers)
        clients.append(http)
        return http

    yield log_in
    for http in clients:
        await http.aclose()


@pytest.fixture
async def superuser_client(app: Starlette, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in as a platform superuser (sees every organization)."""
    from db.models import User

    async with db.sessionmaker() as s:
        admin = User(email="root@example.com", username="root", is_superuser=True)
        s.add(admin)
        await s.flush()
        headers = await bearer_headers(app, s, admin)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                 headers=headers) as http:
        yield http
