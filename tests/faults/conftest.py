"""Faults under a running server: a PostgreSQL and a redis-server of these tests' own (real
processes, embedded binaries), which the tests stop and start again while real server
processes (uvicorn) serve on them.

Waiting is on conditions, each with a deadline (`until`): a server's probe, a socket's next
frame, a row appearing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection

from app.embedded import EmbeddedServices
from db import migrate
from db.session import make_engine, make_sessionmaker
from services.security.sessions import open_session
from services.settings import Settings
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import ROOT, free_port, stop, wait_healthy

T = TypeVar("T")
DEADLINE = 30.0  # seconds any awaited condition gets


async def until(condition: Callable[[], Awaitable[T | None]], what: str,
                deadline: float = DEADLINE) -> T:
    """The first true answer of `condition`, asked again until `deadline` seconds passed
    (the state it reads lives in another process: nothing here could notify us)."""
    end = time.monotonic() + deadline
    while True:
        answer = await condition()
        if answer:
            return answer
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline:g} s: {what}")
        await asyncio.sleep(0.05)


@dataclass
class Stack:
    """The tests' own PostgreSQL and Redis, each stopped and started on its own."""

    data_dir: Path
    postgres: EmbeddedServices
    redis: EmbeddedServices
    settings: Settings  # the URLs and the secret key
    stopped: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, data_dir: Path) -> Stack:
        postgres = EmbeddedServices(data_dir, postgres=True, redis=False)
        redis = EmbeddedServices(data_dir, postgres=False, redis=True)
        postgres.start()
        redis.start()
        migrate.upgrade(postgres.database_url)
        settings = Settings(database_url=postgres.database_url, redis_url=redis.redis_url,
                            secret_key=SecretStr(secrets.token_urlsafe(32)),
                            data_dir=data_dir / "app")
        return cls(data_dir, postgres, redis, settings)

    async def stop_postgres(self) -> None:
        await asyncio.to_thread(self.postgres.stop)
        self.stopped.add("postgres")

    async def start_postgres(self) -> None:
        if "postgres" in self.stopped:  # (a new handle: a started one would count twice)
            self.postgres = EmbeddedServices(self.data_dir, postgres=True, redis=False)
            await asyncio.to_thread(self.postgres.start)
            self.stopped.discard("postgres")

    async def stop_redis(self) -> None:
        await asyncio.to_thread(self.redis.stop)
        self.stopped.add("redis")

    async def start_redis(self) -> None:
        if "redis" in self.stopped:
            self.redis = EmbeddedServices(self.data_dir, postgres=False, redis=True)
            await asyncio.to_thread(self.redis.start)
            self.stopped.discard("redis")

    def stop(self) -> None:
        self.postgres.stop()
        self.redis.stop()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack.start(tmp_path_factory.mktemp("faults"))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(autouse=True)
async def running_again(stack: Stack) -> AsyncIterator[None]:
    """Whatever a test stopped is running again for the next one."""
    yield
    await stack.start_postgres()
    await stack.start_redis()


@pytest.fixture(scope="package")
async def sessionmaker(stack: Stack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the stack's database, for the tests' own rows."""
    engine = make_engine(stack.settings.database_url or "")
    yield make_sessionmaker(engine)
    await engine.dispose()


@contextmanager
def serving(stack: Stack, **env: str) -> Iterator[str]:
    """The base URL of a server process (uvicorn) on the stack, its output kept in the data
    folder for a failure's reader; stopped on exit."""
    assert stack.settings.secret_key is not None
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": stack.postgres.database_url,
                   "REDIS_URL": stack.redis.redis_url, "AIPLATFORM_ACCESS_LOG": "false",
                   "AIPLATFORM_DATA_DIR": str(stack.data_dir / "app"), "PYTHONUNBUFFERED": "1",
                   "AIPLATFORM_SECRET_KEY": stack.settings.secret_key.get_secret_value(),
                   # a chat subscription closed by its client right after its first event
                   # can stay behind as a task that never ends: shutdown would wait for it
                   "AIPLATFORM_SHUTDOWN_GRACE_SECONDS": "2", **env}
    with open(stack.data_dir / f"server-{port}.log", "wb") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_healthy(f"http://127.0.0.1:{port}/readyz", proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


@pytest.fixture(scope="package")
def server(stack: Stack) -> Iterator[str]:
    """A server on the stack. Every request authenticates afresh (no per-process memory of
    tokens), so each one needs Redis or its fallback."""
    with serving(stack, AIPLATFORM_AUTH_CACHE_SECONDS="0") as url:
        yield url


@dataclass
class Member:
    """A signed-in member of an organization with a chat on a slow local model."""

    headers: dict[str, str]
    chat_id: str
    model_id: str


async def make_member(stack: Stack, sessionmaker: async_sessionmaker[AsyncSession],
                      delay_ms: int = 100) -> Member:
    from strawberry.relay import to_base64

    async with sessionmaker() as session:
        org, user = await make_organization(session), await make_user(session)
        await make_membership(session, organization=org, user=user)
        model = await make_model(session, organization=org, name=f"local-{delay_ms}",
                                 config={"delay_ms": delay_ms})
        chat = await make_chat_session(session, user=user, model=model)
        tokens = await open_session(session, stack.settings, user_id=user.id)
        await session.commit()
    return Member({"authorization": f"Bearer {tokens.access_token}"},
                  to_base64("ChatSession", chat.id), to_base64("AiModel", model.id))


async def post(base_url: str, query: str, headers: dict[str, str] | None = None,
               variables: dict[str, Any] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, headers=headers or {}, timeout=30) as http:
        return await http.post("/graphql", json={"query": query, "variables": variables})


async def ready_is(base_url: str, status: int) -> bool:
    """Whether the server's /readyz answers `status` now."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        return (await http.get("/readyz")).status_code == status


async def frame(ws: ClientConnection, deadline: float = DEADLINE) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(ws.recv(), deadline))  # type: ignore[no-any-return]


def codes(body: dict[str, Any]) -> list[str]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
