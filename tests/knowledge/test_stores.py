"""The same retrieval on every vector store this environment can run (pgvector, Qdrant local
mode, Chroma persistent client): real files uploaded through the multipart spec, a question in
other words, the right passage first; deletes, reindexing and organization scoping."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from strawberry.relay import from_base64

from services.vectorstores import Chunk, VectorStoreError, store_for
from services.vectorstores.chroma import ChromaStore
from services.vectorstores.pgvector import literal
from services.vectorstores.qdrant import QdrantStore
from tests.factories.knowledge import make_collection, make_document
from tests.graphql import error_codes
from tests.knowledge.conftest import ADD, ASK, add_text, new_collection, run
from tests.knowledge.stores import BACKENDS, pdf, stored_chunks, upload
from tests.servers import free_port, stop, wait_healthy

DELETE = """mutation ($input: DeleteKnowledgeDocumentInput!) {
  deleteKnowledgeDocument(input: $input) { deletedDocumentId userErrors { field message code } }
}"""
REINDEX = """mutation ($input: ReindexCollectionInput!) {
  reindexCollection(input: $input) { queuedDocuments userErrors { code } } }"""
DOCUMENTS = {
    "refunds.md": b"# Returns\n\nCustomers can return any product within 30 days of delivery "
                  b"and receive their money back, provided the item is unused and in its "
                  b"original packaging.\n",
    "shipping.html": b"<html><body><h1>Delivery</h1><p>Orders are dispatched from our warehouse "
                     b"in Rotterdam. Standard delivery takes three to five working days within "
                     b"the European Union.</p></body></html>",
    "security.txt": b"Passwords are hashed with Argon2 and accounts lock after five failed "
                    b"sign-in attempts; two-factor authentication is available in the settings.",
    "battery.pdf": pdf("The electric scooter's lithium battery charges fully in four hours and "
                       "gives a range of up to forty kilometres on flat roads."),
}
QUESTIONS = [
    ("Can I send back something I bought and get a refund?", "refunds.md"),
    ("How long until my parcel arrives?", "shipping.html"),
    ("How are login credentials protected?", "security.txt"),
    ("How far can I ride on one charge?", "battery.pdf"),
]
ON_EVERY_STORE = pytest.mark.parametrize("backend", BACKENDS)


LOOPBACK = {"127.0.0.1", "::1", "localhost", "test"}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuses, and records, every connection and name lookup beyond this machine: the stores
    and the embedder must work with the network closed (nothing fetched at run time)."""
    attempts: list[Any] = []
    connect, connect_ex, getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                        socket.getaddrinfo)

    def outside(address: Any) -> bool:
        return isinstance(address, tuple) and str(address[0]) not in LOOPBACK

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if outside(address):
            attempts.append(address)
            raise OSError("network closed by the test")
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        if outside(address):
            attempts.append(address)
            return 111
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in LOOPBACK:
            attempts.append(host)
            raise socket.gaierror("network closed by the test")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts


def key(global_id: str) -> uuid.UUID:
    return uuid.UUID(from_base64(global_id)[1])


async def documents_of(db) -> dict[str, tuple]:
    rows = await db.fetch("SELECT filename, upload_status, chunk_count, processing_error "
                          "FROM knowledge_documents WHERE deleted_at IS NULL")
    return {r["filename"]: tuple(r)[1:] for r in rows}


async def ask(client, acme, collection_id: str, query: str, caller: str = "member") -> dict:
    body = await run(client, acme, ASK, {"collectionId": collection_id, "query": query,
                                         "topK": 4}, caller)
    return body["data"]["ragQuery"] if body.get("data") else body


@ON_EVERY_STORE
async def test_uploaded_files_answer_a_question_in_other_words(backend, app, client, db, acme,
                                                              worker, offline) -> None:
    # given four files of four formats uploaded through the multipart spec, in a collection
    collection_id, ids = await a_collection_of_files(client, acme, backend)

    # when they are ingested
    await worker.drain()

    # then every document is ready, its chunks in the collection's store, and each question
    # finds the passage that answers it first
    await every_question_finds_its_passage(app, client, db, acme, backend, collection_id, ids)
    # and nothing was fetched from outside this machine (no model, no telemetry)
    assert offline == []


async def a_collection_of_files(client, acme, backend: str) -> tuple[str, dict[str, str]]:
    collection_id = await new_collection(client, acme, vectorStore=backend.upper())
    ids = {}
    for name, content in DOCUMENTS.items():
        file_id = await upload(client, acme.headers["admin"], acme.org_id, name, content)
        body = await run(client, acme, ADD, {"collectionId": collection_id, "title": name,
                                             "fileId": file_id})
        assert body["data"]["addKnowledgeDocument"]["userErrors"] == [], body
        ids[name] = body["data"]["addKnowledgeDocument"]["document"]["id"]
    return collection_id, ids


async def every_question_finds_its_passage(app, client, db, acme, backend: str,
                                           collection_id: str, ids: dict[str, str]) -> None:
    assert await documents_of(db) == {name: ("completed", 1, None) for name in DOCUMENTS}
    for document_id in ids.values():
        assert await stored_chunks(app, backend, key(collection_id), key(document_id)) == [0]
    for question, expected in QUESTIONS:
        payload = await ask(client, acme, collection_id, question)
        assert payload["userErrors"] == [], payload
        hits = payload["hits"]
        assert hits[0]["document"]["filename"] == expected, (question, hits)
        assert hits[0]["position"] == 0 and "".join(hits[0]["content"].split())
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        assert -1.0 <= hits[-1]["score"] <= hits[0]["score"] <= 1.0


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`, shipped in the chromadb wheel) on 127.0.0.1."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1", "--port",
         str(port), "--path", str(tmp_path_factory.mktemp("chroma-server"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


async def test_a_chroma_server_named_by_url_serves_the_same(app, client, db, acme, worker,
                                                           chroma_server, monkeypatch) -> None:
    # given the app's Chroma store is a server (as with CHROMA_URL set)
    monkeypatch.setitem(app.state.vector_stores.stores, "chroma", ChromaStore(url=chroma_server))
    collection_id, ids = await a_collection_of_files(client, acme, "chroma")

    await worker.drain()

    await every_question_finds_its_passage(app, client, db, acme, "chroma", collection_id, ids)
    body = await run(client, acme, DELETE, {"id": ids["refunds.md"]})
    assert body["data"]["deleteKnowledgeDocument"]["userErrors"] == []
    assert await stored_chunks(app, "chroma", key(collection_id), key(ids["refunds.md"])) == []


@ON_EVERY_STORE
async def test_deleting_a_document_removes_its_chunks_from_the_store(backend, app, client, db,
                                                                    acme, worker) -> None:
    collection_id = await new_collection(client, acme, vectorStore=backend.upper(),
                                         chunkSize=100, chunkOverlap=0)
    refunds = await add_text(client, acme, collection_id, "refunds",
                             DOCUMENTS["refunds.md"].decode() * 2)
    shipping = await add_text(client, acme, collection_id, "shipping",
                              DOCUMENTS["shipping.html"].decode())
    await worker.drain()
    assert len(await stored_chunks(app, backend, key(collection_id), key(refunds))) > 2

    body = await run(client, acme, DELETE, {"id": refunds})

    assert body["data"]["deleteKnowledgeDocument"] == {"deletedDocumentId": refunds,
                                                       "userErrors": []}
    assert await stored_chunks(app, backend, key(collection_id), key(refunds)) == []
    assert await stored_chunks(app, backend, key(collection_id), key(shipping)) != []
    hits = (await ask(client, acme, collection_id, "Can I get a refund?"))["hits"]
    assert {h["document"]["filename"] for h in hits} == {"shipping"}


@ON_EVERY_STORE
async def test_reindexing_replaces_the_chunks_without_copies(backend, app, client, db, acme,
                                                             worker, session) -> None:
    collection_id = await new_collection(client, acme, vectorStore=backend.upper(),
                                         chunkSize=100, chunkOverlap=0)
    document_id = await add_text(client, acme, collection_id, "long",
                                 "Solar panels turn sunlight into electricity. " * 12)
    await worker.drain()
    before = await stored_chunks(app, backend, key(collection_id), key(document_id))
    # the text becomes shorter, as if the document had been edited
    await session.execute(text("UPDATE knowledge_documents SET content = 'Solar panels.'"))
    await session.commit()

    body = await run(client, acme, REINDEX, {"id": collection_id})
    await worker.drain()

    assert body["data"]["reindexCollection"] == {"queuedDocuments": 1, "userErrors": []}
    assert len(before) > 3
    assert await stored_chunks(app, backend, key(collection_id), key(document_id)) == [0]
    assert (await documents_of(db))["long"] == ("completed", 1, None)


@ON_EVERY_STORE
async def test_retrieval_never_crosses_organizations(backend, app, client, db, acme,
                                                     worker) -> None:
    collection_id = await new_collection(client, acme, vectorStore=backend.upper())
    await add_text(client, acme, collection_id, "refunds", DOCUMENTS["refunds.md"].decode())
    await worker.drain()

    # an owner of another organization names this collection
    body = await run(client, acme, ASK, {"collectionId": collection_id, "query": "refund?"},
                     "outsider")
    assert error_codes(body) == ["NOT_FOUND"]
    # and the store itself filters by organization, even given the right collection
    probe = [0.1] * 384
    async with app.state.db.sessionmaker() as session:
        store = store_for(backend)
        mine = await store.search(session, organization_id=acme.org.id,
                                  collection_id=key(collection_id), embedding=probe, top_k=5,
                                  min_score=None)
        theirs = await store.search(session, organization_id=acme.other.id,
                                    collection_id=key(collection_id), embedding=probe, top_k=5,
                                    min_score=None)
    assert len(mine) == 1 and theirs == []
    assert (await db.fetch("SELECT count(*) FROM rag_queries"))[0][0] == 0


async def test_a_store_that_fails_fails_the_document_readably(app, client, db, acme, worker,
                                                              monkeypatch) -> None:
    collection_id = await new_collection(client, acme, vectorStore="QDRANT")
    kept = await add_text(client, acme, collection_id, "kept", "Cats sleep most of the day.")
    await worker.drain()
    # the collection's Qdrant becomes a server that is down (nothing listens on port 9)
    down = QdrantStore(url="http://127.0.0.1:9")
    monkeypatch.setitem(app.state.vector_stores.stores, "qdrant", down)

    await add_text(client, acme, collection_id, "lost", "Dogs bark at the postman.")
    await worker.drain()
    delete = await run(client, acme, DELETE, {"id": kept})

    status, count, error = (await documents_of(db))["lost"]
    assert (status, count) == ("failed", 0)
    assert error.startswith("Qdrant (http://127.0.0.1:9) could not store the document's chunks")
    assert [(e["code"], e["message"].split(":")[0]) for e in
            delete["data"]["deleteKnowledgeDocument"]["userErrors"]] == [
        ("VECTOR_STORE_ERROR", "Qdrant (http")]
    assert (await documents_of(db))["kept"] == ("completed", 1, None)  # not deleted

    # when the server is back, the collection answers and a reindex completes the document
    monkeypatch.undo()
    await run(client, acme, REINDEX, {"id": collection_id})
    await worker.drain()
    assert {name: row[0] for name, row in (await documents_of(db)).items()} == {
        "kept": "completed", "lost": "completed"}
    hits = (await ask(client, acme, collection_id, "Which animal barks?"))["hits"]
    assert hits[0]["document"]["filename"] == "lost"
    await down.close()


async def test_qdrant_local_mode_refuses_a_second_process_readably(app, tmp_path) -> None:
    first, second = QdrantStore(path=tmp_path), QdrantStore(path=tmp_path)
    await first.client()
    try:
        with pytest.raises(VectorStoreError, match=r"in use by another process.*set QDRANT_URL"):
            await second.search(None, organization_id=uuid.uuid4(),  # type: ignore[arg-type]
                                collection_id=uuid.uuid4(), embedding=[1.0], top_k=1,
                                min_score=None)
    finally:
        await first.close()



async def test_pgvector_finds_a_collections_chunks_beyond_the_index_first_candidates(
        session, db, acme) -> None:
    # given a big collection close to the question and a small one far from it, in one table
    import numpy as np

    rng = np.random.default_rng(3)
    question = np.eye(384)[0]
    near = await make_collection(session, organization=acme.org)
    far = await make_collection(session, organization=acme.org)
    for collection, count, centre in ((near, 400, question), (far, 60, None)):
        document = await make_document(session, collection=collection)
        vectors = rng.normal(size=(count, 384)) * (0.05 if centre is not None else 1.0)
        if centre is not None:
            vectors += centre
        await store_for("pgvector").replace_document(
            session, organization_id=acme.org.id, collection_id=collection.id,
            document_id=document.id, chunks=[Chunk(i, f"chunk {i}", v.tolist())
                                             for i, v in enumerate(vectors)])
    await session.commit()

    # when the planner takes the HNSW index (as it does on large tables), whose first 40
    # candidates all belong to the big collection
    async with db.sessionmaker() as reader, reader.begin():
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await reader.execute(text(f"SET LOCAL {setting} = off"))
        hits = await store_for("pgvector").search(
            reader, organization_id=acme.org.id, collection_id=far.id,
            embedding=question.tolist(), top_k=5, min_score=None)
        plan = "\n".join(r[0] for r in await reader.execute(text(
            "EXPLAIN SELECT id FROM knowledge_chunks WHERE collection_id = :c "
            "ORDER BY embedding <=> CAST(:q AS vector) LIMIT 5"),
            {"c": far.id, "q": literal(question.tolist())}))

    # then the small collection still gets its 5 nearest, best first
    assert "ix_knowledge_chunks_embedding_hnsw" in plan
    assert len(hits) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
