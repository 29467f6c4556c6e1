"""The ingestion worker: documents move uploading → processing → completed | failed, with
their chunks in pgvector; a killed server's documents are resumed; bad files fail readably."""

from __future__ import annotations

import asyncio

from strawberry.relay import from_base64, to_base64

from app.knowledge.worker import IngestionWorker
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
    # given a document that a crashed server had claimed (its lock died with it)
    collection = await make_collection(session, organization=acme.org)
    document = await make_document(session, collection=collection, upload_status="processing",
                                   filename="orphan")
    document.content = "Left half-done when the server was killed."
    await session.commit()

    # when a new server starts: its worker's first pass
    fresh = IngestionWorker(db, None)
    fresh.start()
    try:
        await fresh.drain()
    finally:
        await fresh.close()

    assert await statuses(db) == [("orphan", "completed", 1, None)]


async def test_a_corrupt_pdf_fails_readably_and_the_collection_still_answers(
        client, session, db, acme, worker) -> None:
    collection_id = await new_collection(client, acme)
    await add_text(client, acme, collection_id, "cats", "Cats sleep most of the day.")
    file = await make_file(session, organization=acme.org, filename="broken.pdf",
                           mime_type="application/pdf")
    await session.commit()
    body = await run(client, acme, ADD, {"collectionId": collection_id, "title": "broken",
                                         "fileId": to_base64("File", file.id)})
    assert body["data"]["addKnowledgeDocument"]["userErrors"] == []

    async def corrupt(row) -> bytes:
        return b"%PDF-1.7\nthis is not a pdf"

    await IngestionWorker(db, None, read_file=corrupt).drain()
    await worker.drain()

    [broken, cats] = await statuses(db)
    assert broken[:3] == ("broken", "failed", 0)
    assert broken[3].startswith("The PDF could not be read")
    assert cats == ("cats", "completed", 1, None)
    answer = await run(client, acme, ASK, {"collectionId": collection_id,
                                           "query": "How long do cats nap?"})
    assert [h["document"]["filename"] for h in answer["data"]["ragQuery"]["hits"]] == ["cats"]


async def test_without_file_storage_a_file_document_fails_with_a_readable_error(
        client, session, db, acme, worker) -> None:
    collection_id = await new_collection(client, acme)
    file = await make_file(session, organization=acme.org, filename="a.txt",
                           mime_type="text/plain")
    await session.commit()
    await run(client, acme, ADD, {"collectionId": collection_id, "title": "file",
                                  "fileId": to_base64("File", file.id)})

    await worker.drain()

    [(_, status, _, error)] = await statuses(db)
    assert status == "failed" and error.startswith("file storage unavailable")


async def test_status_changes_are_published_until_the_document_is_done(
        client, app, db, acme, worker) -> None:
    await worker.close()  # the test runs the pass itself, so it sees every event
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

