"""Gateway fixtures: one real server process per module, the OpenAI-compatible stub as an
upstream, and an organization whose deployments cover each case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from db.models import ApiKey
from services.security.api_keys import generate_api_key
from tests.chat.conftest import STUB_KEY, stub_url  # noqa: F401  (the fixture)
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.deployments import make_deployment
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import app_servers, free_port

PRICING = {"input_per_1k": 0.5, "output_per_1k": 1.5}
MESSAGES_HELLO = [{"role": "user", "content": "Hello there"}]
INVOKE = "inference:invoke"


@pytest.fixture(scope="session")
def server(settings) -> Iterator[str]:
    """Base URL of one uvicorn process on the test database and Redis, for every module."""
    with app_servers(settings) as (url,):
        yield url


async def make_api_key(session, *, organization, user, scopes=(INVOKE,)) -> tuple[str, Any]:
    """A key row straight in the database: (the full key, the row)."""
    secret, prefix, key_hash = generate_api_key()
    row = ApiKey(organization_id=organization.id, user_id=user.id, name="gateway",
                 prefix=prefix, key_hash=key_hash, scopes=list(scopes))
    session.add(row)
    await session.flush()
    return secret, row


async def deploy(session, *, organization, name: str, model_name: str, status="running",
                 provider="local", model_type="chat", config=None, pricing=None,
                 traffic=100.0, environment="production"):
    """A model, a version of it and a deployment of that version."""
    model = await make_model(session, organization=organization, name=model_name,
                             provider=provider, model_type=model_type,
                             config={"delay_ms": 0} if config is None else config,
                             pricing=pricing or {})
    version = await make_model_version(session, model=model)
    deployment = await make_deployment(session, model_version=version, name=name,
                                       status=status, environment=environment)
    deployment.traffic_percentage = traffic
    await session.flush()
    return deployment


@dataclass
class GatewayWorld:
    """acme: alice (member) holds `key`, and `narrow_key` scoped to chat:write only.
    Running deployments: `assistant` (local), `echo` (the stub), `embedder` (the stub's
    8-dimensional embeddings), `down` (an upstream nobody listens on); `paused` is stopped.
    Another organization runs `rival`."""

    acme: Any
    other: Any
    alice: Any
    key: str
    key_row: Any
    narrow_key: str
    deployments: dict[str, Any]


@pytest.fixture
async def world(app, session, stub_url) -> GatewayWorld:  # noqa: F811
    acme, other = await make_organization(session), await make_organization(session)
    alice, olga = await make_user(session), await make_user(session)
    await make_membership(session, organization=acme, user=alice, role="member")
    await make_membership(session, organization=other, user=olga, role="owner")
    upstream = {"base_url": stub_url, "api_key": STUB_KEY}
    deployments = {
        "assistant": await deploy(session, organization=acme, name="assistant",
                                  model_name="local-chat", pricing=PRICING),
        "echo": await deploy(session, organization=acme, name="echo", model_name="upstream",
                             provider="openai_compatible",
                             config={**upstream, "model": "stub-echo"}),
        "embedder": await deploy(session, organization=acme, name="embedder",
                                 model_name="stub-embed-8", provider="openai_compatible",
                                 model_type="embedding", pricing=PRICING,
                                 config={**upstream, "model": "stub-embed-8"}),
        "down": await deploy(session, organization=acme, name="down", model_name="gone",
                             provider="openai_compatible",
                             config={"base_url": f"http://127.0.0.1:{free_port()}/v1"}),
        "paused": await deploy(session, organization=acme, name="paused", model_name="p",
                               status="stopped"),
        "rival": await deploy(session, organization=other, name="rival", model_name="r"),
    }
    key, key_row = await make_api_key(session, organization=acme, user=alice)
    narrow_key, _ = await make_api_key(session, organization=acme, user=alice,
                                       scopes=("chat:write",))
    await session.commit()
    return GatewayWorld(acme, other, alice, key, key_row, narrow_key, deployments)


@pytest.fixture
async def openai_client(server, world) -> Any:
    """The official client, as a script using alice's key would configure it."""
    async with openai.AsyncOpenAI(base_url=f"{server}/v1", api_key=world.key,
                                  max_retries=0) as client:
        yield client
