"""What the vector-store tests share: the backends this environment can run, a look inside each
store, documents as real files (Markdown, HTML, text, PDF) and their multipart upload."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import orjson
from chromadb.errors import NotFoundError
from qdrant_client import models
from starlette.applications import Starlette

from services.vectorstores import collection_name

# every store runs here: pyproject.toml requires qdrant-client and chromadb, so a missing
# package fails these tests instead of skipping them
BACKENDS = ["pgvector", "qdrant", "chroma"]

UPLOAD = """mutation ($input: UploadFileInput!) {
  uploadFile(input: $input) { file { id mimeType } userErrors { field message code } } }"""


async def upload(client: httpx.AsyncClient, headers: dict[str, str], organization_id: str,
                 name: str, content: bytes) -> str:
    """The file's id, uploaded as Apollo's upload link sends it (GraphQL multipart spec)."""
    operations = {"query": UPLOAD, "variables": {"input": {
        "organizationId": organization_id, "file": None, "purpose": "DOCUMENT"}}}
    response = await client.post(
        "/graphql", headers={**headers, "apollo-require-preflight": "true"},
        data={"operations": orjson.dumps(operations).decode(),
              "map": orjson.dumps({"0": ["variables.input.file"]}).decode()},
        files={"0": (name, content, "application/octet-stream")})
    payload = response.json()["data"]["uploadFile"]
    assert payload["userErrors"] == [], payload
    return str(payload["file"]["id"])


def pdf(text: str) -> bytes:
    """A one-page PDF whose page shows `text` in Helvetica (what a PDF printer writes)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 10 Tf 40 700 Td ({escaped}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


async def stored_chunks(app: Starlette, backend: str, collection_id: uuid.UUID,
                        document_id: uuid.UUID) -> list[int]:
    """The positions a store holds for a document, read from the store itself."""
    if backend == "pgvector":
        rows = await app.state.db.fetch(
            "SELECT position FROM knowledge_chunks WHERE collection_id = $1 "
            "AND document_id = $2 ORDER BY position", collection_id, document_id)
        return [r["position"] for r in rows]
    store, name = app.state.vector_stores.get(backend), collection_name(collection_id)
    if backend == "qdrant":
        client = await store.client()
        if not await client.collection_exists(name):
            return []
        points, _ = await client.scroll(name, limit=1000, with_payload=True, scroll_filter=(
            models.Filter(must=[models.FieldCondition(
                key="document_id", match=models.MatchValue(value=str(document_id)))])))
        return sorted(p.payload["position"] for p in points)

    def chroma() -> list[int]:
        try:
            collection = store.client().get_collection(name, embedding_function=None)
        except NotFoundError:
            return []
        found = collection.get(where={"document_id": str(document_id)}, include=["metadatas"])
        return sorted(int(m["position"]) for m in found["metadatas"])

    return await asyncio.to_thread(chroma)
