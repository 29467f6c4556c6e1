"""The gateway through the official `openai` client against a real server process: a
completion, a streamed one, embeddings and the model list, each written to the usage log."""

from __future__ import annotations

import httpx
import orjson
import pytest
from sqlalchemy import select

from db.models import ModelUsageLog
from services.pricing import cost_of
from services.providers import ChatRequest, ChatTurn
from services.providers.base import estimate_tokens
from services.providers.local import local_reply, reply_pieces
from tests.chat.openai_stub_server import bag_of_words
from tests.gateway.conftest import PRICING

QUESTION = "What does the gateway do with my request?"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}]


def expected_reply() -> str:
    turns = tuple(ChatTurn(m["role"], m["content"]) for m in MESSAGES)
    return local_reply(ChatRequest(model_name="local-chat", turns=turns))


def prompt_tokens() -> int:
    return sum(estimate_tokens(m["content"]) for m in MESSAGES)


async def usage_rows(session) -> list[ModelUsageLog]:
    return list(await session.scalars(select(ModelUsageLog).order_by(ModelUsageLog.created_at)))


async def test_a_completion_answers_and_is_accounted(openai_client, world, session) -> None:
    completion = await openai_client.chat.completions.create(
        model="assistant", messages=MESSAGES, temperature=0.2)

    text = expected_reply()
    assert completion.object == "chat.completion" and completion.model == "assistant"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == text
    assert completion.choices[0].finish_reason == "stop"
    completion_tokens = estimate_tokens(text)
    assert completion.usage.model_dump(include={"prompt_tokens", "completion_tokens",
                                                "total_tokens"}) == {
        "prompt_tokens": prompt_tokens(), "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens() + completion_tokens}
    (row,) = await usage_rows(session)
    assert (row.deployment_id, row.api_key_id, row.user_id, row.organization_id) == (
        world.deployments["assistant"].id, world.key_row.id, world.alice.id, world.acme.id)
    assert (row.request_type, row.status, row.input_tokens, row.output_tokens) == (
        "chat_completion", "success", prompt_tokens(), completion_tokens)
    assert row.cost == cost_of(PRICING, prompt_tokens(), completion_tokens) > 0
    assert row.duration_ms is not None and row.duration_ms >= 0


async def test_a_streamed_completion_arrives_in_order_with_usage(openai_client, session
                                                                 ) -> None:
    stream = await openai_client.chat.completions.create(
        model="assistant", messages=MESSAGES, stream=True,
        stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]

    pieces = [c.choices[0].delta.content for c in chunks if c.choices and
              c.choices[0].delta.content]
    assert "".join(pieces) == expected_reply()
    assert len(pieces) == len(expected_reply().split())  # word by word, in order
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks[:-1]][-1] == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.total_tokens == prompt_tokens() + estimate_tokens(expected_reply())
    assert all(c.usage is None for c in chunks[:-1])
    (row,) = await usage_rows(session)
    assert (row.status, row.output_tokens) == ("success", estimate_tokens(expected_reply()))


async def test_the_event_stream_ends_with_done(server, world) -> None:
    body = {"model": "assistant", "messages": MESSAGES, "stream": True}
    async with httpx.AsyncClient(base_url=server) as http, http.stream(
            "POST", "/v1/chat/completions", json=body,
            headers={"authorization": f"Bearer {world.key}"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        data = [line[6:] async for line in response.aiter_lines() if line.startswith("data: ")]

    assert data[-1] == "[DONE]"
    chunks = [orjson.loads(d) for d in data[:-1]]
    assert all("usage" not in c for c in chunks)  # only asked for with include_usage
    assert {c["id"] for c in chunks} == {chunks[0]["id"]}


async def test_an_openai_compatible_upstream_answers_through_a_deployment(openai_client
                                                                          ) -> None:
    completion = await openai_client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "ping pong"}])
    assert completion.choices[0].message.content == "Echo: ping pong"


async def test_stop_sequences_and_max_tokens_cut_the_reply(openai_client) -> None:
    stopped = await openai_client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "one two three four"}],
        stop=[" three"])
    limited = await openai_client.chat.completions.create(
        model="assistant", messages=MESSAGES, max_tokens=3)

    assert stopped.choices[0].message.content == "Echo: one two"
    assert limited.choices[0].message.content == "".join(reply_pieces(expected_reply())[:3])
    assert limited.choices[0].finish_reason == "length"


async def test_embeddings_of_strings_and_lists(openai_client, session) -> None:
    one = await openai_client.embeddings.create(model="embedder", input="deploy the model")
    many = await openai_client.embeddings.create(
        model="embedder", input=["red apples", "green pears", "blue skies"],
        encoding_format="float")

    assert [d.index for d in many.data] == [0, 1, 2]
    for datum, text in zip(many.data, ["red apples", "green pears", "blue skies"], strict=True):
        assert datum.embedding == pytest.approx(bag_of_words(text, 8))
    # the client asks for base64 by default: float32 values, decoded by the client
    assert one.data[0].embedding == pytest.approx(bag_of_words("deploy the model", 8), rel=1e-6)
    assert many.usage.prompt_tokens == sum(
        estimate_tokens(t) for t in ["red apples", "green pears", "blue skies"])
    rows = await usage_rows(session)
    assert [(r.request_type, r.status) for r in rows] == [("embedding", "success")] * 2


async def test_the_model_list_is_the_callers_running_deployments(openai_client) -> None:
    models = await openai_client.models.list()
    assert [m.id for m in models.data] == ["assistant", "down", "echo", "embedder"]
    assert {m.object for m in models.data} == {"model"}
