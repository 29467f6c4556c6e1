"""ragQuery(answer: true): an answer from the collection's chat model grounded on the hits, with
the local provider and an OpenAI-compatible one (the real stub server); failures are userErrors
and still recorded; the chat model is chosen per collection and validated."""

from __future__ import annotations

import math
import time

import httpx
import pytest
from strawberry.relay import to_base64

from tests.chat.conftest import STUB_KEY
from tests.factories.ai_models import make_model
from tests.graphql import error_codes
from tests.knowledge.conftest import ASK, add_text, new_collection, run
from tests.knowledge.test_rag import PASSAGES

UPDATE = """mutation ($input: UpdateKnowledgeCollectionInput!) {
  updateKnowledgeCollection(input: $input) {
    collection { id name description config chatModel { name } }
    userErrors { field message code } } }"""
REFUND = "Can I send back something I bought and get a refund?"


def gid(row) -> str:
    return to_base64("AiModel", row.id)


async def chat_model(session, acme, name: str = "helper", provider: str = "local", **config):
    model = await make_model(session, organization=acme.org, name=name, provider=provider,
                             config=config)
    model.pricing = {"input_per_1k": 1, "output_per_1k": 2}
    await session.commit()
    return model


async def knowledge_base(client, acme, worker, model=None) -> str:
    collection_id = await new_collection(
        client, acme, **({"chatModelId": gid(model)} if model is not None else {}))
    for title, text in PASSAGES.items():
        await add_text(client, acme, collection_id, title, text)
    await worker.drain()
    return collection_id


async def answer(client, acme, collection_id: str, query: str = REFUND, caller: str = "member"):
    body = await run(client, acme, ASK, {"collectionId": collection_id, "query": query,
                                         "topK": 2, "answer": True}, caller)
    return body["data"]["ragQuery"]


async def stub_requests(stub_url: str) -> list[dict]:
    async with httpx.AsyncClient() as http:
        return (await http.get(stub_url.removesuffix("/v1") + "/requests")).json()


async def test_the_local_model_answers_from_the_best_passage(client, db, session, acme,
                                                             worker) -> None:
    model = await chat_model(session, acme, delay_ms=0)
    collection_id = await knowledge_base(client, acme, worker, model)

    began = time.perf_counter()
    payload = await answer(client, acme, collection_id)
    wall_ms = math.ceil((time.perf_counter() - began) * 1000)

    assert payload["userErrors"] == []
    assert payload["hits"][0]["document"]["filename"] == "refunds"
    assert payload["answer"] == (
        "According to [1]: Customers can return any product within 30 days of delivery and "
        "receive their money back, provided the item is unused and in its original packaging. "
        "(The built-in local model 'helper' quotes the best of 2 passages instead of writing "
        "an answer.)")
    [row] = await db.fetch("SELECT query_text, result_count, response_text, query_time_ms, "
                           "metadata FROM rag_queries")
    assert (row["query_text"], row["result_count"], row["response_text"]) == (
        REFUND, 2, payload["answer"])
    # the whole call's time, kept as answered, within the request around it; its parts in it
    assert row["query_time_ms"] == payload["queryTimeMs"]
    assert isinstance(payload["queryTimeMs"], int) and payload["queryTimeMs"] <= wall_ms
    parts = row["metadata"]
    assert parts["retrieval_ms"] <= payload["queryTimeMs"]
    assert parts["answer_ms"] <= payload["queryTimeMs"]
    [usage] = await db.fetch("SELECT request_type, status, model_id, cost FROM model_usage_logs")
    assert (usage["request_type"], usage["status"], usage["model_id"]) == ("rag", "success",
                                                                           model.id)
    assert usage["cost"] > 0


async def test_an_openai_compatible_model_gets_the_numbered_passages(client, db, session, acme,
                                                                    worker, stub_url) -> None:
    model = await chat_model(session, acme, provider="openai_compatible", base_url=stub_url,
                             api_key=STUB_KEY, model="stub-echo")
    collection_id = await knowledge_base(client, acme, worker, model)

    payload = await answer(client, acme, collection_id, caller="viewer")

    assert payload["userErrors"] == [] and payload["answer"] == f"Echo: {REFUND}"
    sent = (await stub_requests(stub_url))[-1]
    assert sent["authorization"] == f"Bearer {STUB_KEY}"
    system, user = sent["body"]["messages"]
    assert user == {"role": "user", "content": REFUND}
    assert system["role"] == "system"
    assert system["content"].startswith("Answer the question using only the numbered context "
                                        "passages below.")
    first, second = payload["hits"]
    assert f"[1] ({first['document']['filename']}) {first['content']}" in system["content"]
    assert f"[2] ({second['document']['filename']}) {second['content']}" in system["content"]
    assert "[3]" not in system["content"]
    assert (await db.fetch("SELECT response_text FROM rag_queries"))[0][0] == f"Echo: {REFUND}"


@pytest.mark.parametrize(("stub_model", "status", "message"), [
    ("stub-error", "error", "The provider answered HTTP 500: The model is overloaded (key ***)"),
    ("stub-slow", "timeout", "The provider sent nothing for 0.5 s"),
])
async def test_a_failing_provider_is_a_user_error_and_the_query_is_still_recorded(
        client, db, session, acme, worker, stub_url, settings, monkeypatch, stub_model, status,
        message) -> None:
    monkeypatch.setattr(settings, "chat_provider_timeout_seconds", 0.5)
    model = await chat_model(session, acme, provider="openai_compatible", base_url=stub_url,
                             api_key=STUB_KEY, model=stub_model)
    collection_id = await knowledge_base(client, acme, worker, model)

    payload = await answer(client, acme, collection_id)

    assert payload["userErrors"] == [
        {"field": ["input", "answer"], "message": message, "code": "PROVIDER_ERROR"}]
    assert payload["answer"] is None and len(payload["hits"]) == 2
    [row] = await db.fetch("SELECT response_text, result_count, metadata->>'answer_error' AS e "
                           "FROM rag_queries")
    assert (row["response_text"], row["result_count"], row["e"]) == (None, 2, message)
    [usage] = await db.fetch("SELECT status, error_message FROM model_usage_logs")
    assert tuple(usage) == (status, message)


async def test_without_a_chat_model_nothing_is_asked_or_recorded(client, db, acme,
                                                                 worker) -> None:
    collection_id = await knowledge_base(client, acme, worker)

    payload = await answer(client, acme, collection_id)

    assert payload == {"hits": [], "answer": None, "queryTimeMs": None, "userErrors": [{
        "field": ["input", "answer"], "code": "CHAT_MODEL_REQUIRED",
        "message": "This collection has no chat model to answer with: set its chatModelId "
                   "(updateKnowledgeCollection)"}]}
    assert (await db.fetch("SELECT count(*) FROM rag_queries"))[0][0] == 0


async def test_a_chat_model_that_became_inactive_is_model_unavailable(client, db, session, acme,
                                                                      worker) -> None:
    model = await chat_model(session, acme, delay_ms=0)
    collection_id = await knowledge_base(client, acme, worker, model)
    model.status = "inactive"
    await session.commit()

    payload = await answer(client, acme, collection_id)

    assert [(e["code"], e["message"]) for e in payload["userErrors"]] == [
        ("MODEL_UNAVAILABLE", "The model 'helper' is inactive, not active")]
    assert (await db.fetch("SELECT count(*) FROM rag_queries"))[0][0] == 0


async def test_the_chat_model_is_set_and_cleared_with_update(client, db, session, acme) -> None:
    model = await chat_model(session, acme)
    collection_id = await new_collection(client, acme)

    set_ = await run(client, acme, UPDATE, {"id": collection_id, "chatModelId": gid(model),
                                            "name": "renamed"})
    cleared = await run(client, acme, UPDATE, {"id": collection_id, "chatModelId": None})

    assert set_["data"]["updateKnowledgeCollection"] == {"userErrors": [], "collection": {
        "id": collection_id, "name": "renamed", "description": None,
        "config": {"chatModelId": str(model.id)}, "chatModel": {"name": "helper"}}}
    assert cleared["data"]["updateKnowledgeCollection"]["collection"]["config"] == {}
    assert cleared["data"]["updateKnowledgeCollection"]["collection"]["chatModel"] is None
    actions = await db.fetch("SELECT action FROM audit_logs WHERE action LIKE 'knowledge%' "
                             "ORDER BY created_at")
    assert [a[0] for a in actions] == ["knowledge_collection.create",
                                       "knowledge_collection.update",
                                       "knowledge_collection.update"]


async def test_only_an_active_chat_model_of_the_same_organization_is_accepted(
        client, db, session, acme) -> None:
    foreign = await make_model(session, organization=acme.other, name="foreign")
    embedder = await make_model(session, organization=acme.org, name="vectors",
                                model_type="embedding")
    await session.commit()
    collection_id = await new_collection(client, acme)

    answers = {}
    for name, model in (("foreign", foreign), ("embedder", embedder)):
        body = await run(client, acme, UPDATE, {"id": collection_id, "chatModelId": gid(model)})
        answers[name] = body["data"]["updateKnowledgeCollection"]["userErrors"]
    created = await run(client, acme, """mutation ($input: CreateKnowledgeCollectionInput!) {
        createKnowledgeCollection(input: $input) { collection { id } userErrors { code } } }""",
                        {"organizationId": acme.org_id, "name": "x", "chatModelId": gid(foreign)})

    assert answers == {
        "foreign": [{"field": ["input", "chatModelId"], "code": "INVALID",
                     "message": "chatModelId: no such model in the collection's organization"}],
        "embedder": [{"field": ["input", "chatModelId"], "code": "MODEL_UNAVAILABLE",
                      "message": "chatModelId: The model 'vectors' is a embedding model, not a "
                                 "chat model"}]}
    assert created["data"]["createKnowledgeCollection"] == {"collection": None,
                                                            "userErrors": [{"code": "INVALID"}]}
    config = await db.fetch("SELECT config FROM knowledge_collections")
    assert [c[0] for c in config] == [{}]


async def test_readers_may_not_choose_the_chat_model(client, session, acme) -> None:
    model = await chat_model(session, acme)
    collection_id = await new_collection(client, acme)

    viewer = await run(client, acme, UPDATE, {"id": collection_id, "chatModelId": gid(model)},
                       "viewer")
    outsider = await run(client, acme, UPDATE, {"id": collection_id, "name": "mine"},
                         "outsider")

    assert error_codes(viewer) == ["FORBIDDEN"] and error_codes(outsider) == ["NOT_FOUND"]


async def test_an_outsider_gets_no_answer(client, db, session, acme, worker) -> None:
    model = await chat_model(session, acme, delay_ms=0)
    collection_id = await knowledge_base(client, acme, worker, model)

    body = await run(client, acme, ASK, {"collectionId": collection_id, "query": REFUND,
                                         "answer": True}, "outsider")

    assert error_codes(body) == ["NOT_FOUND"] and body["data"] is None
    assert (await db.fetch("SELECT count(*) FROM model_usage_logs"))[0][0] == 0
