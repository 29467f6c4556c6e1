"""Providers: the built-in local one, and OpenAI-compatible HTTP against a real stub server;
then failures and timeouts of a reply, end to end through sendMessage."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from strawberry.relay import to_base64

from db.models import ChatMessage, ModelUsageLog
from services.pricing import cost_of
from services.providers import ChatRequest, ChatTurn, ProviderError, provider_for
from services.providers.local import local_reply
from tests.chat.conftest import STUB_KEY, channel_events, free_port, gid
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.graphql import gql

SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id } replyMessageId userErrors { code } }
}"""
REGENERATE = """
mutation ($id: ID!) {
  regenerateMessage(input: {messageId: $id}) { replyMessageId userErrors { code } }
}"""
TURNS = (ChatTurn("system", "Be brief."), ChatTurn("user", "Hello  big\nworld"))


def request(model: str = "stub-echo", **config) -> ChatRequest:
    return ChatRequest(model_name="ignored", turns=TURNS, options={"temperature": 0.5},
                       model_config={"model": model, **config})


async def collect(provider, req: ChatRequest) -> list[str]:
    return [piece async for piece in provider.stream(req)]


# -- local ------------------------------------------------------------------------------------


async def test_local_streams_a_deterministic_reply_word_by_word() -> None:
    req = ChatRequest(model_name="llama", turns=TURNS, model_config={"delay_ms": 0})

    pieces = await collect(provider_for("local", timeout=1), req)
    again = await collect(provider_for("local", timeout=1), req)

    assert "".join(pieces) == local_reply(req) == (
        "You said: “Hello big world” (3 words). This is the built-in local model 'llama': its "
        "replies are deterministic. Point the model at an OpenAI-compatible endpoint for real "
        "answers.")
    assert pieces[:3] == ["You", " said:", " “Hello"] and pieces == again


async def test_local_stops_at_max_tokens() -> None:
    req = ChatRequest(model_name="m", turns=TURNS, options={"max_tokens": 2},
                      model_config={"delay_ms": 0})

    assert await collect(provider_for("local", timeout=1), req) == ["You", " said:"]


# -- OpenAI-compatible --------------------------------------------------------------------------


async def test_openai_compatible_streams_and_sends_the_conversation(stub_url) -> None:
    provider = provider_for("openai", timeout=5)

    pieces = await collect(provider, request(base_url=stub_url, api_key=STUB_KEY))

    assert pieces == ["Echo:", " Hello", "  big", "\nworld"]
    async with httpx.AsyncClient() as http:
        received = (await http.get(stub_url.removesuffix("/v1") + "/requests")).json()[-1]
    assert received == {"authorization": f"Bearer {STUB_KEY}", "body": {
        "model": "stub-echo", "stream": True, "temperature": 0.5,
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": "Hello  big\nworld"}]}}


@pytest.mark.parametrize(("model", "config", "message"), [
    ("stub-echo", {"api_key": "sk-wrong"},
     "The provider answered HTTP 401: Incorrect API key provided"),
    ("stub-error", {"api_key": STUB_KEY},
     "The provider answered HTTP 500: The model is overloaded (key ***)"),
    ("stub-broken", {"api_key": STUB_KEY}, "The provider failed: upstream crashed"),
])
async def test_openai_compatible_failures_are_readable_and_never_show_the_key(
    stub_url, model, config, message
) -> None:
    with pytest.raises(ProviderError) as raised:
        await collect(provider_for("openai", timeout=5),
                      request(model, base_url=stub_url, **config))

    assert str(raised.value) == message
    assert STUB_KEY not in str(raised.value)


async def test_openai_compatible_needs_a_reachable_base_url() -> None:
    provider = provider_for("vllm", timeout=5)
    with pytest.raises(ProviderError) as missing:
        await collect(provider, request())
    with pytest.raises(ProviderError) as unreachable:
        await collect(provider, request(base_url=f"http://127.0.0.1:{free_port()}/v1"))

    assert str(missing.value) == ("The model has no config.base_url (an http(s) URL of an "
                                  "OpenAI-compatible API)")
    assert str(unreachable.value) == "Could not reach the provider: ConnectError"


def test_cost_from_the_model_pricing() -> None:
    assert cost_of({"input_per_1k": 0.5, "output_per_1k": 1.5}, 1000, 2000) == Decimal("3.5")
    assert cost_of({"input": 2.5, "output": 10, "unit": "1M tokens"}, 1000, 100) == Decimal(
        "0.0035")
    assert cost_of({"input_per_1m": 1}, 3, 0) == Decimal("0.000003")
    assert cost_of({}, 1000, 1000) == Decimal(0)
    assert cost_of({"input_per_1k": "oops", "output_per_1k": True}, 10, 10) == Decimal(0)


# -- a failing reply, end to end ------------------------------------------------------------


async def stub_chat(session, world, stub_url, model_name: str):
    model = await make_model(session, organization=world.acme, name="remote", provider="openai",
                             config={"base_url": stub_url, "api_key": STUB_KEY,
                                     "model": model_name})
    chat = await make_chat_session(session, user=world.alice, model=model)
    await session.commit()
    return model, chat


async def test_a_failing_provider_ends_the_reply_and_regenerate_retries(
    app, client, session, world, stub_url
) -> None:
    model, chat = await stub_chat(session, world, stub_url, "stub-broken")
    sent: dict = {}

    async def send() -> None:
        sent.update(await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                                       "content": "one two three"}},
                              headers=world.headers["alice"]))

    # when the provider breaks off after two pieces
    events = await channel_events(app, chat, send)

    # then subscribers saw the start, the pieces and a readable failure
    reply_id = sent["data"]["sendMessage"]["replyMessageId"]
    message_id = sent["data"]["sendMessage"]["message"]["id"]
    reply_uuid = events[0]["messageId"]
    assert to_base64("ChatMessage", reply_uuid) == reply_id
    assert [e["type"] for e in events] == ["started", "delta", "delta", "failed"]
    assert events[-1] == {"type": "failed", "messageId": reply_uuid,
                          "error": "The provider failed: upstream crashed"}
    # and the user's message stays, alone, with the failure logged
    messages = (await session.scalars(select(ChatMessage))).all()
    assert [m.role for m in messages] == ["user"]
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    assert (usage.status, usage.error_message) == ("error",
                                                   "The provider failed: upstream crashed")

    # when the provider recovers and alice regenerates
    model.config = {**model.config, "model": "stub-echo"}
    session.add(model)
    await session.commit()
    retried = await gql(client, REGENERATE, {"id": message_id}, headers=world.headers["alice"])
    await app.state.generations.join()

    # then the reply is stored
    assert retried["data"]["regenerateMessage"]["userErrors"] == []
    reply = (await session.execute(select(ChatMessage).where(
        ChatMessage.role == "assistant"))).scalar_one()
    assert reply.content == "Echo: one two three"
    assert gid("ChatMessage", reply) == retried["data"]["regenerateMessage"]["replyMessageId"]


async def test_a_silent_provider_times_out(app, client, session, world, stub_url, settings,
                                           monkeypatch) -> None:
    monkeypatch.setattr(settings, "chat_provider_timeout_seconds", 0.5)
    _, chat = await stub_chat(session, world, stub_url, "stub-slow")

    async def send() -> None:
        await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                           "content": "hello"}}, headers=world.headers["alice"])

    events = await asyncio.wait_for(channel_events(app, chat, send), timeout=20)

    assert [e["type"] for e in events] == ["started", "delta", "failed"]
    assert events[-1]["error"] == "The provider sent nothing for 0.5 s"
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    assert (usage.status, usage.output_tokens) == ("timeout", 2)  # "Thinking" came through
