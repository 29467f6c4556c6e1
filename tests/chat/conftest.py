"""Chat test fixtures: a small organization to chat in, and the OpenAI-compatible stub."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from db.models import AuditLog, ChatMessage, ChatSession, ModelUsageLog
from services.pubsub import chat_channel
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
STUB_KEY = "sk-stub-secret-key-123456"

PRICING = {"input_per_1k": 0.5, "output_per_1k": 1.5}


def gid(type_name: str, row: Any) -> str:
    return to_base64(type_name, row.id)


@dataclass
class ChatWorld:
    """acme: alice and bob are members, vera a viewer; olga belongs to another organization.
    `model` is acme's local chat model (no streaming delay), priced per 1K tokens."""

    acme: Any
    alice: Any
    bob: Any
    vera: Any
    olga: Any
    model: Any
    headers: dict[str, dict[str, str]]


@pytest.fixture
async def world(app, session) -> ChatWorld:
    acme, other = await make_organization(session), await make_organization(session)
    users = {n: await make_user(session) for n in ("alice", "bob", "vera", "olga")}
    for name, org, role in (("alice", acme, "member"), ("bob", acme, "member"),
                            ("vera", acme, "viewer"), ("olga", other, "owner")):
        await make_membership(session, organization=org, user=users[name], role=role)
    model = await make_model(session, organization=acme, name="local-chat",
                             config={"delay_ms": 0})
    model.pricing, model.context_window = PRICING, 8192
    await session.commit()
    headers = {name: await bearer_headers(app, session, user) for name, user in users.items()}
    return ChatWorld(acme=acme, model=model, headers=headers, **users)


@pytest.fixture(autouse=True)
async def replies_finish(app, db) -> AsyncIterator[None]:
    """Every reply a test started ends before its rows are truncated."""
    yield
    await asyncio.wait_for(app.state.generations.join(), timeout=30)


@pytest.fixture(scope="session")
def stub_url() -> Iterator[str]:
    """Base URL of a real OpenAI-compatible server (tests/chat/openai_stub_server.py)."""
    port = free_port()
    env = {**os.environ, "STUB_API_KEY": STUB_KEY}
    proc = subprocess.Popen([sys.executable, "-m", "tests.chat.openai_stub_server",
                             "--port", str(port)], cwd=ROOT, env=env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop(proc)


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def counts(session) -> tuple[int, ...]:
    return tuple([await count(session, m)
                  for m in (ChatSession, ChatMessage, AuditLog, ModelUsageLog)])


async def audit_actions(session) -> list[str]:
    rows = await session.scalars(select(AuditLog.action).order_by(AuditLog.created_at))
    return list(rows)


async def chat_of(session, world, **kwargs):
    chat = await make_chat_session(session, user=world.alice, model=world.model, **kwargs)
    await session.commit()
    return chat


async def channel_events(app, chat, action) -> list[dict]:
    """What the session's Redis channel carried while `action` ran and its replies ended."""
    async with app.state.pubsub.subscribe(chat_channel(chat.id)) as sub:
        await action()
        await app.state.generations.join()
        events = []
        while not sub.queue.empty():
            events.append(await anext(sub))
    return events
