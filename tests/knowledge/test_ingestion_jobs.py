"""Ingestion as jobs: adding a document enqueues it in the same transaction, and an
`aiplatform worker` process takes the document to completed with its chunks."""

from __future__ import annotations

from pathlib import Path

import pytest
from strawberry.relay import from_base64

from services.jobs.tasks import INGEST_DOCUMENT
from services.settings import Settings
from tests.jobs.workers import eventually, workers
from tests.knowledge.conftest import ADD, add_text, new_collection, run


async def test_adding_a_document_enqueues_its_ingestion_and_a_refused_one_does_not(
        client, db, acme) -> None:
    collection_id = await new_collection(client, acme)
    document_id = await add_text(client, acme, collection_id, "kept", "Batteries store energy.")
    refused = await run(client, acme, ADD, {"collectionId": collection_id, "title": "refused",
                                            "text": "   "})
    assert refused["data"]["addKnowledgeDocument"]["userErrors"][0]["code"] == "REQUIRED"

    jobs = await db.fetch("SELECT queue_name, task_name, args ->> 'document_id', status::text "
                          "FROM procrastinate_jobs")

    assert [tuple(j) for j in jobs] == [("document_processing", INGEST_DOCUMENT,
                                         str(from_base64(document_id)[1]), "todo")]


@pytest.mark.slow
async def test_a_worker_process_takes_an_added_document_to_completed(
        client, db, acme, settings: Settings, tmp_path: Path) -> None:
    collection_id = await new_collection(client, acme)
    document_id = await add_text(client, acme, collection_id, "solar",
                                 "Solar panels charge the batteries during the day.")
    key = from_base64(document_id)[1]

    async def completed() -> bool:
        [row] = await db.fetch("SELECT upload_status FROM knowledge_documents WHERE id = $1",
                               key)
        return row[0] == "completed"

    with workers(settings, tmp_path / "worker.log", "--queues", "document_processing"):
        await eventually(completed, "the document's ingestion", within=60)

    chunks = await db.fetch("SELECT content FROM knowledge_chunks WHERE document_id = $1", key)
    assert [c[0] for c in chunks] == ["Solar panels charge the batteries during the day."]
    [job] = await db.fetch("SELECT status::text FROM procrastinate_jobs WHERE task_name = $1",
                           INGEST_DOCUMENT)
    assert job[0] == "succeeded"
