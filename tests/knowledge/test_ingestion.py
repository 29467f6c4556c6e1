"""The ingestion worker: documents move uploading → processing → completed | failed, with
their chunks in pgvector; a killed server's documents are resumed; bad files fail readably."""

from __future__ import annotations

import asyncio
import io

from strawberry.relay import from_base64, to_base64

from services.knowledge.worker import IngestionWorker
from services.storage.base import object_key
from tests.factories.datasets import make_file
from tests.factories.knowledge import make_collection, make_document
from tests.knowledge.conftest import ADD, ASK, add_text, new_collection, run

LONG = " ".join(f"Sentence number {i} talks about solar panels and batteries." for i in range(60))


async def statuses(db) -> list[tuple]:
    rows = await db.fetch("SELECT filename, upload_status, chunk_count, processing_error "
                          "FROM knowledge_documents ORDER BY filename")
    return [tuple(r) for r in rows]


async def test_a_text_document_becomes_completed_with_its_chunks(client, db, acme,
                                                                 worker) -> None:
    collection_id = await new_collection(client, acme, chunkSize=500, chunkOverlap=100)
    document_id = await add_text(client, acme, collection_id, "solar", LONG)

    await worker.drain()

    [(title, status, count, error)] = await statuses(db)
    assert (title, status, error) == ("solar", "completed", None)
    chunks = await db.fetch("SELECT position, length(content) AS n, vector_dims(embedding) AS d "
                            "FROM knowledge_chunks WHERE document_id = $1 ORDER BY position",
                            from_base64(document_id)[1])
    assert count == len(chunks) > 5
    assert [c["position"] for c in chunks] == list(range(count))
    assert all(c["n"] <= 500 and c["d"] == 384 for c in chunks)


async def test_a_document_left_processing_by_a_killed_server_is_resumed(session, db,
                                                                        acme) -> None:
    # given a document that a crashed worker had claimed (its lock died with it)
    collection = await make_collection(session, organization=acme.org)
    await make_document(session, collection=collection, upload_status="processing",
                        filename="orphan", content="Left half-done when the server was killed.")
    await session.commit()

    # when another worker looks for claimable documents
    await IngestionWorker(db, None).drain()

    assert await statuses(db) == [("orphan", "completed", 1, None)]


async def test_a_corrupt_pdf_fails_readably_and_the_collection_still_answers(
        client, session, db, acme, worker, monkeypatch) -> None:
    async def corrupt(row) -> bytes:
        return b"%PDF-1.7\nthis is not a pdf"

    # the app's running worker reads the file, so no second worker races it for the document
    monkeypatch.setattr(worker, "read_file", corrupt)
    collection_id = await new_collection(client, acme)
    await add_text(client, acme, collection_id, "cats", "Cats sleep most of the day.")
    file = await make_file(session, organization=acme.org, filename="broken.pdf",
                           mime_type="application/pdf")
    await session.commit()
    body = await run(client, acme, ADD, {"collectionId": collection_id, "title": "broken",
                                         "fileId": to_base64("File", file.id)})
    assert body["data"]["addKnowledgeDocument"]["userErrors"] == []

    await worker.drain()

    [broken, cats] = await statuses(db)
    assert broken[:3] == ("broken", "failed", 0)
    assert broken[3].startswith("The PDF could not be read")
    assert cats == ("cats", "completed", 1, None)
    answer = await run(client, acme, ASK, {"collectionId": collection_id,
                                           "query": "How long do cats nap?"})
    assert [h["document"]["filename"] for h in answer["data"]["ragQuery"]["hits"]] == ["cats"]


async def test_an_uploaded_file_is_read_from_storage_and_a_missing_one_fails_readably(
        app, client, session, db, acme, worker) -> None:
    # given a stored file, and a file row whose object is not in storage
    collection_id = await new_collection(client, acme)
    storage, text = app.state.storage, b"The cooling loop keeps the battery below 40 degrees."
    stored = await make_file(session, organization=acme.org, filename="notes.txt",
                             mime_type="text/plain", size_bytes=len(text))
    stored.storage_path = storage.path_of(object_key(acme.org.id, stored.id))
    missing = await make_file(session, organization=acme.org, filename="gone.txt",
                              mime_type="text/plain")
    missing.storage_path = storage.path_of(object_key(acme.org.id, missing.id))
    await session.commit()
    await storage.put(object_key(acme.org.id, stored.id), io.BytesIO(text), len(text),
                      "text/plain")
    for title, file in (("stored", stored), ("missing", missing)):
        await run(client, acme, ADD, {"collectionId": collection_id, "title": title,
                                      "fileId": to_base64("File", file.id)})

    # when the worker runs
    await worker.drain()

    # then the stored file's text is indexed and the missing one failed with a clear error
    outcome = {status: error for _, status, _, error in await statuses(db)}
    assert set(outcome) == {"completed", "failed"}
    assert outcome["failed"] == "the uploaded file is missing from storage"
    chunks = await db.fetch("SELECT content FROM knowledge_chunks")
    assert [c[0] for c in chunks] == [text.decode()]


async def test_status_changes_are_published_until_the_document_is_done(
        client, app, db, acme, worker) -> None:
    collection_id = await new_collection(client, acme)
    document_id = await add_text(client, acme, collection_id, "t", "Some text to embed.")
    key = from_base64(document_id)[1]
    seen: list[str] = []

    async with app.state.pubsub.subscribe(f"knowledge_document:{key}") as events:
        ingest = asyncio.ensure_future(IngestionWorker(db, app.state.pubsub).drain())
        async for event in events:
            seen.append(event["status"])
            if event["status"] in ("completed", "failed"):
                break
        await ingest

    assert seen == ["processing", "completed"]

