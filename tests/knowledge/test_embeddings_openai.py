"""Embeddings from an OpenAI-compatible endpoint (the real stub server of tests/chat): the
client's batching, order and failures, then a collection that ingests and retrieves through it."""

from __future__ import annotations

import httpx
import pytest

from services.embeddings import EmbeddingError
from services.embeddings.openai_compatible import OpenAICompatibleEmbeddings
from tests.chat.conftest import STUB_KEY
from tests.factories.ai_models import make_model
from tests.knowledge.conftest import ASK, add_text, run
from tests.knowledge.stores import BACKENDS

CREATE = """mutation ($input: CreateKnowledgeCollectionInput!) {
  createKnowledgeCollection(input: $input) {
    collection { id embeddingModel embeddingDimensions config }
    userErrors { field message code } } }"""
PASSAGES = {
    "tea": "Green tea leaves are steamed, rolled and dried within hours of picking.",
    "trains": "Night trains leave the central station at ten and arrive at dawn.",
    "bees": "Honey bees dance to tell their hive where the flowers are.",
}


async def requests_received(stub_url: str) -> list[dict]:
    async with httpx.AsyncClient() as http:
        return (await http.get(stub_url.removesuffix("/v1") + "/embedding-requests")).json()


def embeddings(stub_url: str, model: str = "stub-embed", **config) -> OpenAICompatibleEmbeddings:
    return OpenAICompatibleEmbeddings("remote", {"base_url": stub_url, "api_key": STUB_KEY,
                                                 "model": model, **config})


async def embedding_model(session, acme, stub_url: str, name: str = "remote-embed",
                          model: str = "stub-embed", **config):
    row = await make_model(session, organization=acme.org, name=name,
                           provider="openai_compatible", model_type="embedding",
                           config={"base_url": stub_url, "api_key": STUB_KEY, "model": model,
                                   **config})
    await session.commit()
    return row


# -- the client -----------------------------------------------------------------------------


async def test_texts_are_sent_in_batches_and_come_back_in_order(stub_url) -> None:
    before = len(await requests_received(stub_url))
    texts = ["one apple", "two pears", "one apple", "three plums", "two pears"]

    vectors = await embeddings(stub_url, batch_size=2).embed(texts)

    sent = (await requests_received(stub_url))[before:]
    assert [r["body"]["input"] for r in sent] == [texts[0:2], texts[2:4], texts[4:]]
    assert {r["authorization"] for r in sent} == {f"Bearer {STUB_KEY}"}
    assert sent[0]["body"] == {"model": "stub-embed", "input": texts[0:2],
                               "encoding_format": "float"}
    # the stub answers in reverse order: the client puts each vector back at its index
    assert len(vectors) == 5 and all(len(v) == 384 for v in vectors)
    assert vectors[0] == vectors[2] and vectors[1] == vectors[4] and vectors[0] != vectors[1]


async def test_configured_dimensions_are_requested(stub_url) -> None:
    [vector] = await embeddings(stub_url, dimensions=64).embed(["short"])

    assert len(vector) == 64
    assert (await requests_received(stub_url))[-1]["body"]["dimensions"] == 64


@pytest.mark.parametrize(("config", "message"), [
    ({"model": "stub-embed-error"},
     "The embedding model remote: The provider answered HTTP 500: The embedding service is down"),
    ({"api_key": "sk-wrong-key"},
     "The embedding model remote: The provider answered HTTP 401: Incorrect API key provided"),
    ({"base_url": "http://127.0.0.1:9/v1"},
     "Could not reach the embedding model remote: ConnectError"),
    ({"base_url": None},
     "The embedding model remote: The model has no config.base_url (an http(s) URL of an "
     "OpenAI-compatible API)"),
])
async def test_failures_are_readable_and_secret_free(stub_url, config, message) -> None:
    with pytest.raises(EmbeddingError) as raised:
        await embeddings(stub_url, **config).embed(["hello"])

    assert str(raised.value) == message
    assert STUB_KEY not in str(raised.value)


# -- collections ----------------------------------------------------------------------------


async def test_a_collection_ingests_and_retrieves_through_the_endpoint(client, db, session,
                                                                       acme, worker,
                                                                       stub_url) -> None:
    model = await embedding_model(session, acme, stub_url)
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "remote",
                                            "embeddingModel": "remote-embed"})
    payload = body["data"]["createKnowledgeCollection"]
    assert payload["userErrors"] == []
    collection = payload["collection"]
    assert (collection["embeddingModel"], collection["embeddingDimensions"]) == (
        "remote-embed", 384)
    assert collection["config"] == {"embeddingModelId": str(model.id)}
    before = len(await requests_received(stub_url))
    for title, text in PASSAGES.items():
        await add_text(client, acme, collection["id"], title, text)

    await worker.drain()
    body = await run(client, acme, ASK, {"collectionId": collection["id"], "topK": 3,
                                         "query": "Where are the flowers, ask the bees"},
                     "viewer")

    statuses = await db.fetch("SELECT upload_status, chunk_count FROM knowledge_documents")
    assert {(r["upload_status"], r["chunk_count"]) for r in statuses} == {("completed", 1)}
    hits = body["data"]["ragQuery"]["hits"]
    assert hits[0]["document"]["filename"] == "bees" and hits[0]["score"] > hits[1]["score"]
    sent = [r["body"]["input"] for r in (await requests_received(stub_url))[before:]]
    assert sorted(sent[:3]) == sorted([[text] for text in PASSAGES.values()])
    assert sent[3:] == [["Where are the flowers, ask the bees"]]


async def test_vectors_of_the_wrong_size_fail_the_document_readably(client, db, session, acme,
                                                                    worker, stub_url) -> None:
    await embedding_model(session, acme, stub_url, name="small")
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "small",
                                            "embeddingModel": "small"})
    collection_id = body["data"]["createKnowledgeCollection"]["collection"]["id"]
    # the endpoint now serves another model behind the same name
    await db.fetch("""UPDATE ai_models SET config = config || '{"model": "stub-embed-64"}'""")

    document_id = await add_text(client, acme, collection_id, "tea", PASSAGES["tea"])
    await worker.drain()
    asked = await run(client, acme, ASK, {"collectionId": collection_id, "query": "tea"})

    [row] = await db.fetch("SELECT upload_status, processing_error FROM knowledge_documents")
    message = ("The embedding model small returned 64-dimensional vectors, but this collection "
               "holds 384-dimensional ones: set the model's config.dimensions to 384, or use a "
               "collection made for this model")
    assert (row["upload_status"], row["processing_error"]) == ("failed", message)
    assert document_id and (await db.fetch("SELECT count(*) FROM knowledge_chunks"))[0][0] == 0
    assert asked["data"]["ragQuery"]["userErrors"] == [
        {"field": None, "message": message, "code": "PROVIDER_ERROR"}]


async def test_an_unreachable_endpoint_fails_the_document_and_spares_the_others(
        client, db, session, acme, worker, stub_url) -> None:
    await embedding_model(session, acme, stub_url, name="down", model="stub-embed-error",
                          dimensions=384)  # known, so creating the collection asks nothing
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "down",
                                            "embeddingModel": "down"})
    down = body["data"]["createKnowledgeCollection"]["collection"]["id"]
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "local"})
    local = body["data"]["createKnowledgeCollection"]["collection"]["id"]

    await add_text(client, acme, down, "tea", PASSAGES["tea"])
    await add_text(client, acme, local, "trains", PASSAGES["trains"])
    await worker.drain()

    rows = await db.fetch("SELECT filename, upload_status, processing_error "
                          "FROM knowledge_documents ORDER BY filename")
    assert [tuple(r) for r in rows] == [
        ("tea", "failed", "The embedding model down: The provider answered HTTP 500: The "
                          "embedding service is down"),
        ("trains", "completed", None)]


async def test_only_http_embedding_models_of_the_organization_can_be_named(
        client, db, session, acme, stub_url) -> None:
    await make_model(session, organization=acme.org, name="chatty", model_type="chat")
    await make_model(session, organization=acme.other, name="elsewhere",
                     provider="openai_compatible", model_type="embedding",
                     config={"base_url": stub_url})
    await embedding_model(session, acme, stub_url, name="wide", dimensions=768)
    await embedding_model(session, acme, stub_url, name="narrow", model="stub-embed-64")
    await embedding_model(session, acme, stub_url, name="down", model="stub-embed-error")

    answers = {}
    for name in ("chatty", "elsewhere", "no-such-model", "wide", "narrow", "down"):
        body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "kb",
                                                "embeddingModel": name})
        answers[name] = [(e["code"], e["message"]) for e in body["data"][
            "createKnowledgeCollection"]["userErrors"]]

    unsupported = [("NOT_SUPPORTED", "embeddingModel: multilingual-e5-small or all-MiniLM-L6-v2 "
                    "(offline), or the name of an embedding model of this organization whose "
                    "provider is openai_compatible")]
    assert answers == {
        "chatty": unsupported, "elsewhere": unsupported, "no-such-model": unsupported,
        "wide": [("OUT_OF_RANGE", "embeddingModel: pgvector collections hold 384-dimensional "
                  "vectors and wide makes 768; choose another vectorStore")],
        # no config.dimensions: the size is what the endpoint answers when asked once
        "narrow": [("OUT_OF_RANGE", "embeddingModel: pgvector collections hold 384-dimensional "
                    "vectors and narrow makes 64; choose another vectorStore")],
        "down": [("PROVIDER_ERROR", "embeddingModel: The embedding model down: The provider "
                  "answered HTTP 500: The embedding service is down")]}
    assert (await db.fetch("SELECT count(*) FROM knowledge_collections"))[0][0] == 0


@pytest.mark.parametrize("store", [store for store in BACKENDS if store != "pgvector"])
async def test_another_store_takes_the_size_the_endpoint_answers(client, db, session, acme,
                                                                 worker, stub_url,
                                                                 store) -> None:
    await embedding_model(session, acme, stub_url, name="narrow", model="stub-embed-64")
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "narrow",
                                            "embeddingModel": "narrow",
                                            "vectorStore": store.upper()})
    collection = body["data"]["createKnowledgeCollection"]["collection"]
    assert collection["embeddingDimensions"] == 64
    for title, text in PASSAGES.items():
        await add_text(client, acme, collection["id"], title, text)

    await worker.drain()
    body = await run(client, acme, ASK, {"collectionId": collection["id"],
                                         "query": "which station do night trains leave from?"})

    rows = await db.fetch("SELECT upload_status FROM knowledge_documents")
    assert {r[0] for r in rows} == {"completed"}
    assert body["data"]["ragQuery"]["hits"][0]["document"]["filename"] == "trains"

