"""createKnowledgeCollection, addKnowledgeDocument, deleteKnowledgeDocument and
reindexCollection: defaults, userErrors, audit rows and refusals."""

from __future__ import annotations

import pytest
from strawberry.relay import from_base64

from services.vectorstores import PACKAGES
from tests.graphql import error_codes
from tests.knowledge.conftest import ADD, CREATE, add_text, new_collection, run
from tests.knowledge.stores import BACKENDS

REINDEX = """mutation ($input: ReindexCollectionInput!) {
  reindexCollection(input: $input) { queuedDocuments collection { id }
                                     userErrors { field message code } } }"""


async def counts(db) -> dict[str, int]:
    return {t: (await db.fetch(f"SELECT count(*) FROM {t}"))[0][0]
            for t in ("knowledge_collections", "knowledge_documents", "audit_logs")}


async def test_a_collection_gets_the_defaults_of_seed_002(client, db, acme) -> None:
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": " kb "})

    assert body["data"]["createKnowledgeCollection"] == {"collection": {
        "id": body["data"]["createKnowledgeCollection"]["collection"]["id"], "name": "kb",
        "vectorStore": "PGVECTOR", "embeddingModel": "multilingual-e5-small", "chunkSize": 1000,
        "chunkOverlap": 200, "documentCount": 0}, "userErrors": []}
    [audit] = await db.fetch("SELECT action FROM audit_logs")
    assert audit["action"] == "knowledge_collection.create"


async def test_a_store_whose_package_is_missing_and_bad_chunking_are_user_errors(
        client, db, acme, monkeypatch) -> None:
    # given a server where the Qdrant client package cannot be imported
    monkeypatch.setitem(PACKAGES, "qdrant", ("qdrant_client_not_installed", "qdrant-client"))

    body = await run(client, acme, CREATE, {
        "organizationId": acme.org_id, "name": "kb", "vectorStore": "QDRANT",
        "embeddingModel": "text-embedding-3-small", "chunkSize": 50, "chunkOverlap": 10})

    assert [(e["field"], e["code"]) for e in
            body["data"]["createKnowledgeCollection"]["userErrors"]] == [
        (["input", "embeddingModel"], "NOT_SUPPORTED"),
        (["input", "vectorStore"], "NOT_SUPPORTED"),
        (["input", "chunkSize"], "OUT_OF_RANGE")]
    assert body["data"]["createKnowledgeCollection"]["userErrors"][1]["message"] == (
        "vectorStore: qdrant needs the qdrant-client package, which this server lacks")
    assert (await counts(db))["knowledge_collections"] == 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_collection_on_each_store_names_its_store_collection(backend, client, db,
                                                                     acme) -> None:
    collection_id = await new_collection(client, acme, vectorStore=backend.upper())

    [row] = await db.fetch("SELECT id, vector_store, vector_collection_id "
                           "FROM knowledge_collections")
    assert from_base64(collection_id)[1] == str(row["id"])
    assert (row["vector_store"], row["vector_collection_id"]) == (
        backend, None if backend == "pgvector" else f"kb_{row['id'].hex}")


async def test_a_document_is_queued_and_counted(client, db, acme, worker) -> None:
    collection_id = await new_collection(client, acme)

    body = await run(client, acme, ADD, {"collectionId": collection_id, "title": "t",
                                         "text": "hello"})

    document = body["data"]["addKnowledgeDocument"]["document"]
    assert (document["filename"], document["uploadStatus"]) == ("t", "UPLOADING")
    assert (await db.fetch("SELECT document_count FROM knowledge_collections"))[0][0] == 1
    await worker.drain()  # no ingestion in flight while the tables are truncated


async def test_text_and_file_are_exclusive(client, acme) -> None:
    collection_id = await new_collection(client, acme)

    body = await run(client, acme, ADD, {"collectionId": collection_id, "title": "t"})

    assert body["data"]["addKnowledgeDocument"]["userErrors"] == [
        {"field": ["input", "text"], "message": "Give exactly one of text and fileId",
         "code": "INVALID"}]


async def test_reindex_queues_every_document_again(client, db, acme, worker) -> None:
    collection_id = await new_collection(client, acme)
    await add_text(client, acme, collection_id, "a", "first text")
    await add_text(client, acme, collection_id, "b", "second text")
    await worker.drain()

    body = await run(client, acme, REINDEX, {"id": collection_id})
    await worker.drain()

    assert body["data"]["reindexCollection"]["queuedDocuments"] == 2
    rows = await db.fetch("SELECT upload_status, chunk_count FROM knowledge_documents")
    assert [tuple(r) for r in rows] == [("completed", 1)] * 2
    assert (await db.fetch("SELECT count(*) FROM knowledge_chunks"))[0][0] == 2


async def test_a_viewer_is_forbidden_and_an_outsider_sees_nothing(client, db, acme) -> None:
    collection_id = await new_collection(client, acme)
    document_id = await add_text(client, acme, collection_id, "t", "text")
    before = await counts(db)

    for caller, code in (("viewer", "FORBIDDEN"), ("outsider", "NOT_FOUND")):
        add = await run(client, acme, ADD, {"collectionId": collection_id, "title": "x",
                                            "text": "y"}, caller)
        create = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "x"},
                           caller)
        reindex = await run(client, acme, REINDEX, {"id": collection_id}, caller)
        delete = await run(client, acme, """mutation ($input: DeleteKnowledgeDocumentInput!) {
            deleteKnowledgeDocument(input: $input) { deletedDocumentId } }""",
                           {"id": document_id}, caller)
        assert [error_codes(b) for b in (add, create, reindex, delete)] == [[code]] * 4

    assert await counts(db) == before
