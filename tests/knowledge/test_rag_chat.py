"""A chat with a knowledge collection attached: each reply is grounded on the passages closest
to the user's message and streams as the usual chat events; the link is validated like any
other reference and survives config changes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from strawberry.relay import from_base64, to_base64

from services.pubsub import chat_channel
from tests.chat.conftest import STUB_KEY
from tests.chat.test_streaming import check_stream, subscribed, subscribers_of
from tests.factories.ai_models import make_model
from tests.graphql import error_codes
from tests.knowledge.conftest import add_text, new_collection, run
from tests.knowledge.test_rag import PASSAGES
from tests.servers import app_servers

CREATE_CHAT = """mutation ($input: CreateChatSessionInput!) {
  createChatSession(input: $input) {
    chatSession { id config knowledgeCollection { id name } }
    userErrors { field message code } } }"""
UPDATE_CHAT = """mutation ($input: UpdateChatSessionInput!) {
  updateChatSession(input: $input) {
    chatSession { config knowledgeCollection { id } } userErrors { field message code } } }"""
SEND = """mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id } replyMessageId userErrors { code } } }"""
QUESTION = "Can I send back something I bought and get a refund?"


@pytest.fixture(autouse=True)
async def replies_finish(app, db) -> AsyncIterator[None]:
    """Every reply a test started ends before its rows are truncated."""
    yield
    await asyncio.wait_for(app.state.generations.join(), timeout=30)


async def knowledge_base(client, acme, worker) -> str:
    collection_id = await new_collection(client, acme)
    for title, text in PASSAGES.items():
        await add_text(client, acme, collection_id, title, text)
    await worker.drain()
    return collection_id


async def a_chat(client, acme, model, collection_id: str | None, **input) -> dict:
    body = await run(client, acme, CREATE_CHAT, {
        "modelId": to_base64("AiModel", model.id), "knowledgeCollectionId": collection_id,
        **input}, "member")
    return body["data"]["createChatSession"]


async def reply_events(app, client, acme, chat_id: str, content: str) -> list[dict]:
    """The chat channel's events while a message is sent and its reply generated."""
    async with app.state.pubsub.subscribe(chat_channel(from_base64(chat_id)[1])) as channel:
        body = await run(client, acme, SEND, {"sessionId": chat_id, "content": content},
                         "member")
        assert body["data"]["sendMessage"]["userErrors"] == [], body
        events = []
        while not events or events[-1]["type"] not in ("completed", "failed"):
            events.append(await asyncio.wait_for(anext(channel), 20))
    return events


async def test_a_reply_streams_grounded_on_the_closest_passage(app, client, db, session, acme,
                                                                worker) -> None:
    collection_id = await knowledge_base(client, acme, worker)
    model = await make_model(session, organization=acme.org, config={"delay_ms": 0})
    await session.commit()
    created = await a_chat(client, acme, model, collection_id)
    assert created["userErrors"] == []
    chat = created["chatSession"]
    assert chat["knowledgeCollection"] == {"id": collection_id, "name": "kb"}

    events = await reply_events(app, client, acme, chat["id"], QUESTION)

    started, *deltas, completed = events
    assert started["type"] == "started" and completed["type"] == "completed"
    assert {d["type"] for d in deltas} == {"delta"} and len(deltas) > 10
    content = "".join(d["delta"] for d in deltas)
    assert completed["message"]["content"] == content
    assert content.startswith(f"According to [1]: {PASSAGES['refunds'].split(', provided')[0]}")
    [query] = await db.fetch("SELECT query_text, result_count, metadata FROM rag_queries")
    assert (query["query_text"], query["result_count"]) == (QUESTION, 4)
    assert query["metadata"]["chat_session_id"] == str(from_base64(chat["id"])[1])


async def test_the_provider_gets_the_passages_with_the_system_prompt_and_conversation(
        app, client, session, acme, worker, stub_url) -> None:
    collection_id = await knowledge_base(client, acme, worker)
    model = await make_model(session, organization=acme.org, provider="openai_compatible",
                             config={"base_url": stub_url, "api_key": STUB_KEY,
                                     "model": "stub-echo"})
    await session.commit()
    chat = (await a_chat(client, acme, model, collection_id, systemPrompt="Be brief.",
                         config={"temperature": 0.2}))["chatSession"]

    events = await reply_events(app, client, acme, chat["id"], QUESTION)

    assert events[-1]["message"]["content"] == f"Echo: {QUESTION}"
    async with httpx.AsyncClient() as http:
        sent = (await http.get(stub_url.removesuffix("/v1") + "/requests")).json()[-1]["body"]
    assert sent["temperature"] == 0.2 and "knowledge_collection_id" not in sent
    system, user = sent["messages"]
    assert user == {"role": "user", "content": QUESTION}
    assert system["content"].startswith("Be brief.\n\nAnswer the question using only the "
                                        "numbered context passages below.")
    assert f"[1] (refunds) {PASSAGES['refunds']}" in system["content"]
    assert "[4] (" in system["content"] and "[5]" not in system["content"]


async def test_a_deleted_collection_fails_the_reply_readably(app, client, db, session, acme,
                                                              worker) -> None:
    collection_id = await knowledge_base(client, acme, worker)
    model = await make_model(session, organization=acme.org, config={"delay_ms": 0})
    await session.commit()
    chat = (await a_chat(client, acme, model, collection_id))["chatSession"]
    await db.fetch("UPDATE knowledge_collections SET deleted_at = now()")

    events = await reply_events(app, client, acme, chat["id"], QUESTION)

    assert [e["type"] for e in events] == ["started", "failed"]
    assert events[-1]["error"] == ("Could not search the chat's knowledge collection: the "
                                   "collection was deleted")


async def test_only_a_visible_collection_of_the_chat_organization_can_be_attached(
        client, db, session, acme) -> None:
    model = await make_model(session, organization=acme.org)
    elsewhere = await make_model(session, organization=acme.other)
    await session.commit()
    collection_id = await new_collection(client, acme)

    wrong_org = await run(client, acme, CREATE_CHAT, {
        "modelId": to_base64("AiModel", elsewhere.id), "knowledgeCollectionId": collection_id},
        "outsider")
    unknown = await a_chat(client, acme, model,
                           to_base64("KnowledgeCollection", "00000000-0000-0000-0000-000000000001"))
    wrong_type = await run(client, acme, CREATE_CHAT, {
        "modelId": to_base64("AiModel", model.id),
        "knowledgeCollectionId": to_base64("AiModel", model.id)}, "member")

    problem = [{"field": ["input", "knowledgeCollectionId"], "code": "INVALID",
                "message": "knowledgeCollectionId: no such knowledge collection in the chat's "
                           "organization"}]
    assert wrong_org["data"]["createChatSession"]["userErrors"] == problem
    assert unknown["userErrors"] == problem
    assert error_codes(wrong_type) == ["NOT_FOUND"]
    assert (await db.fetch("SELECT count(*) FROM chat_sessions"))[0][0] == 0


async def test_the_link_survives_a_new_config_and_can_be_removed(client, session, acme) -> None:
    model = await make_model(session, organization=acme.org)
    await session.commit()
    collection_id = await new_collection(client, acme)
    chat = (await a_chat(client, acme, model, collection_id))["chatSession"]
    assert chat["config"] == {"knowledge_collection_id": str(from_base64(collection_id)[1])}

    configured = await run(client, acme, UPDATE_CHAT, {"id": chat["id"],
                                                       "config": {"temperature": 1}}, "member")
    sneaky = await run(client, acme, UPDATE_CHAT, {
        "id": chat["id"], "config": {"knowledge_collection_id": "x"}}, "member")
    detached = await run(client, acme, UPDATE_CHAT, {"id": chat["id"],
                                                     "knowledgeCollectionId": None}, "member")

    assert configured["data"]["updateChatSession"]["chatSession"] == {
        "config": {"temperature": 1, "knowledge_collection_id": str(from_base64(collection_id)[1])},
        "knowledgeCollection": {"id": collection_id}}
    assert [e["code"] for e in sneaky["data"]["updateChatSession"]["userErrors"]] == [
        "INVALID_CONFIG"]
    assert detached["data"]["updateChatSession"]["chatSession"] == {
        "config": {"temperature": 1}, "knowledgeCollection": None}


async def test_a_grounded_reply_streams_over_a_websocket_from_a_server_process(
        client, session, settings, acme, worker) -> None:
    collection_id = await knowledge_base(client, acme, worker)
    model = await make_model(session, organization=acme.org, config={"delay_ms": 5})
    await session.commit()
    chat = (await a_chat(client, acme, model, collection_id))["chatSession"]
    member = acme.headers["member"]

    with app_servers(settings, AIPLATFORM_RATE_LIMIT_ENABLED="false") as (url,):
        async with subscribed(url, member, chat["id"]) as subscriber:
            await subscribers_of(settings.redis_url, from_base64(chat["id"])[1], 1)
            async with httpx.AsyncClient(base_url=url, headers=member) as http:
                sent = (await http.post("/graphql", json={"query": SEND, "variables": {
                    "input": {"sessionId": chat["id"], "content": QUESTION}}})).json()
            events = await subscriber.until_end()

    payload = sent["data"]["sendMessage"]
    content = check_stream(events, payload["replyMessageId"], payload["message"]["id"])
    assert content.startswith("According to [1]: Customers can return any product")
