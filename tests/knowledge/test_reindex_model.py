"""reindexCollection(embeddingModel): a collection moves to another model; its chunks leave the
store at once (other vectors, another space) and come back embedded by the new model."""

from __future__ import annotations

import pytest

from tests.knowledge.conftest import ASK, add_text, new_collection, run
from tests.knowledge.stores import BACKENDS, stored_chunks
from tests.knowledge.test_stores import key

REINDEX = """mutation ($input: ReindexCollectionInput!) {
  reindexCollection(input: $input) {
    collection { embeddingModel embeddingDimensions } queuedDocuments
    userErrors { field message code } } }"""
TEXT = ("Customers can return any product within 30 days of delivery and receive their money "
        "back, provided the item is unused.")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_collection_moves_to_another_model(backend, app, client, db, acme,
                                                   worker) -> None:
    # given a collection of the default model with one ingested document
    collection_id = await new_collection(client, acme, vectorStore=backend.upper())
    document_id = await add_text(client, acme, collection_id, "refunds", TEXT)
    await worker.drain()
    assert await stored_chunks(app, backend, key(collection_id), key(document_id)) == [0]

    # when it is moved to all-MiniLM-L6-v2
    body = await run(client, acme, REINDEX, {"id": collection_id,
                                             "embeddingModel": "all-MiniLM-L6-v2"})

    # then it records the new model, and the old vectors are gone before any new one exists
    assert body["data"]["reindexCollection"] == {
        "collection": {"embeddingModel": "all-MiniLM-L6-v2", "embeddingDimensions": 384},
        "queuedDocuments": 1, "userErrors": []}
    assert await stored_chunks(app, backend, key(collection_id), key(document_id)) == []
    # and once re-embedded, a question embedded by the new model finds the passage
    await worker.drain()
    asked = await run(client, acme, ASK, {"collectionId": collection_id,
                                          "query": "Can I get my money back?"})
    assert [h["document"]["filename"] for h in asked["data"]["ragQuery"]["hits"]] == ["refunds"]
    [audit] = await db.fetch("SELECT old_values->>'embedding_model' AS old, "
                             "new_values->>'embedding_model' AS new FROM audit_logs "
                             "WHERE action = 'knowledge_collection.reindex'")
    assert tuple(audit) == ("multilingual-e5-small", "all-MiniLM-L6-v2")


async def test_an_unknown_model_leaves_the_collection_as_it_was(app, client, acme,
                                                                worker) -> None:
    collection_id = await new_collection(client, acme)
    document_id = await add_text(client, acme, collection_id, "refunds", TEXT)
    await worker.drain()

    body = await run(client, acme, REINDEX, {"id": collection_id, "embeddingModel": "nope"})

    assert [e["code"] for e in body["data"]["reindexCollection"]["userErrors"]] == [
        "NOT_SUPPORTED"]
    assert await stored_chunks(app, "pgvector", key(collection_id), key(document_id)) == [0]
