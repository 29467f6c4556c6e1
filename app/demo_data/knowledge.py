"""Seed 002's knowledge collections for the first organization: `charging_knowledge`,
`troubleshooting_guides` and `technical_specs`, with Chinese and English documents
(knowledge.json) and their metadata, so `ragQuery` can be tried at once.

The rows are loaded pending like any added document; `ingest()` then chunks and embeds them
with the server's own ingestion worker (the offline default model, pgvector), so the command
leaves them READY.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from app.demo_data.common import World, dumps
from db.session import Database
from services.embeddings import DEFAULT_MODEL, DIMENSIONS
from services.knowledge.worker import IngestionWorker

DOCUMENTS = Path(__file__).with_name("knowledge.json")
METADATA_KEYS = ("category", "tags", "type", "version")


def build(world: World) -> None:
    if not world.orgs:
        return
    org, ids = world.orgs[0], world.ids
    collections = world.table("knowledge_collections", (
        "id", "organization_id", "name", "description", "embedding_model",
        "embedding_dimensions", "document_count", "created_by", "created_at", "updated_at",
    ))  # fmt: skip
    documents = world.table("knowledge_documents", (
        "id", "organization_id", "collection_id", "filename", "file_type", "file_size",
        "content", "metadata", "upload_status", "uploaded_by", "created_at", "updated_at",
    ))  # fmt: skip
    author = org.admin_ids[0] if org.admin_ids else None
    created = org.created_at + timedelta(days=1)
    for name, spec in json.loads(DOCUMENTS.read_text("utf-8")).items():
        collection_id = ids("knowledge_collections", org.index, name)
        collections.rows.append((
            collection_id, org.id, name, spec["description"], DEFAULT_MODEL,
            DIMENSIONS[DEFAULT_MODEL], len(spec["documents"]), author, created, created))
        for k, document in enumerate(spec["documents"]):
            metadata = {"source": "demo-data", "author": "platform-team",
                        **{key: document[key] for key in METADATA_KEYS if key in document}}
            at = created + timedelta(minutes=k)
            documents.rows.append((
                ids("knowledge_documents", org.index, name, k), org.id, collection_id,
                document["title"], "text", len(document["text"].encode()), document["text"],
                dumps(metadata), "uploading", author, at, at))


async def ingest(database_url: str) -> int:
    """Chunks and embeds every pending document; the number of documents handled."""
    db = Database(database_url, pool_size=2, max_overflow=0)
    await db.connect()
    try:
        return await IngestionWorker(db, None).drain()
    finally:
        await db.close()
