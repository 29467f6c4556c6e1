"""knowledgeDocumentStatus over a real websocket (graphql-transport-ws) to a server process:
the document as it is, then each status the ingestion worker publishes, in order, until READY;
someone of another organization gets NOT_FOUND and nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis
from strawberry.relay import from_base64, to_base64
from websockets.asyncio.client import ClientConnection, connect

from services.pubsub import knowledge_document_channel
from tests.knowledge.conftest import new_collection
from tests.servers import app_servers

STATUS = """subscription ($id: ID!) {
  knowledgeDocumentStatus(documentId: $id) { id status chunkCount error } }"""
TEXT = " ".join(f"Sentence {i} explains how tidal power stations store energy." for i in range(40))


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    """ws:// URL of one API server process on the test database and Redis."""
    with app_servers(settings, AIPLATFORM_RATE_LIMIT_ENABLED="false") as (url,):
        yield url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def subscribed(server: str, headers: dict[str, str], document_id: str
                     ) -> AsyncIterator[ClientConnection]:
    async with connect(server, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {
            "Authorization": headers["authorization"]}}).decode())
        assert (await message(ws))["type"] == "connection_ack"
        await ws.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": STATUS, "variables": {"id": document_id}}}).decode())
        yield ws


async def message(ws: ClientConnection) -> dict[str, Any]:
    return orjson.loads(await asyncio.wait_for(ws.recv(), 30))


async def until_complete(ws: ClientConnection) -> list[dict[str, Any]]:
    messages = []
    while not messages or messages[-1]["type"] != "complete":
        messages.append(await message(ws))
    return messages


async def listening(redis_url: str, document_id: str) -> None:
    """Wait until the server process holds its Redis subscription to the document."""
    redis = Redis.from_url(redis_url)
    channel = knowledge_document_channel(from_base64(document_id)[1])
    try:
        for _ in range(1000):  # another process's state: polled, bounded (20 s)
            if dict(await redis.pubsub_numsub(channel))[channel.encode()] >= 1:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"nobody subscribed to {channel}")
    finally:
        await redis.aclose()


async def parked_document(client, db, acme) -> str:
    """A pending document that no worker may take yet: its collection is hidden from them
    (the workers claim only documents of live collections) until `unpark`."""
    collection_id = await new_collection(client, acme)
    collection = from_base64(collection_id)[1]
    await db.fetch("UPDATE knowledge_collections SET deleted_at = now() WHERE id = $1",
                   collection)
    [row] = await db.fetch(
        "INSERT INTO knowledge_documents (organization_id, collection_id, filename, content) "
        "VALUES ($1, $2, 'tides', $3) RETURNING id", acme.org.id, collection, TEXT)
    return to_base64("KnowledgeDocument", row["id"])


async def unpark(db) -> None:
    await db.fetch("UPDATE knowledge_collections SET deleted_at = NULL")


async def test_a_subscriber_sees_processing_then_ready(server, client, db, acme, worker,
                                                       redis_url) -> None:
    document_id = await parked_document(client, db, acme)
    async with subscribed(server, acme.headers["viewer"], document_id) as ws:
        first = await message(ws)
        await listening(redis_url, document_id)

        # when ingestion runs
        await unpark(db)
        await worker.drain()
        rest = await until_complete(ws)

    # then the document came as it was, then at each status, in order, then the end
    events = [m["payload"]["data"]["knowledgeDocumentStatus"] for m in [first, *rest[:-1]]]
    assert [m["type"] for m in [first, *rest]] == ["next"] * len(events) + ["complete"]
    assert [e["status"] for e in events] == ["PENDING", "PROCESSING", "READY"]
    assert {e["id"] for e in events} == {document_id}
    assert events[-1]["chunkCount"] > 1 and events[-1]["error"] is None
    assert events[1]["chunkCount"] == 0


async def test_another_organization_gets_not_found_and_no_events(server, client, db, acme,
                                                                 worker, redis_url) -> None:
    document_id = await parked_document(client, db, acme)
    async with subscribed(server, acme.headers["outsider"], document_id) as ws:
        refused = await until_complete(ws)

    assert refused == [{"id": "1", "type": "next", "payload": {"data": None, "errors": [{
        "message": "documentId: no such knowledge document",
        "extensions": {"code": "NOT_FOUND", "field": "documentId"}}]}},
        {"id": "1", "type": "complete"}]
    await unpark(db)
    await worker.drain()  # ingestion after the refusal reaches nobody: the socket is closed
    assert (await db.fetch("SELECT upload_status FROM knowledge_documents"))[0][0] == "completed"
