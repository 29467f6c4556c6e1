"""Chroma through `chromadb`: an HTTP client when `CHROMA_URL` is set, else a persistent client
in `<data dir>/chroma`. The client is synchronous, so every call runs in a worker thread.

One Chroma collection per knowledge collection (`kb_<id>`, cosine space), created without an
embedding function: we always pass our own vectors, so Chroma never embeds nor downloads a
model. Each record's metadata carries organization_id, collection_id, document_id and position;
writes and deletes filter on the organization and the collection, and a search keeps only hits
of both (defence in depth).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from services.vectorstores.base import Chunk, Hit, Where, collection_name, failures, point_id

BATCH = 1000  # records per upsert call (below Chroma's maximum batch size)


class ChromaStore:
    name = "chroma"

    def __init__(self, *, path: Path | None = None, url: str | None = None) -> None:
        if (path is None) == (url is None):
            raise ValueError("a Chroma store needs a folder or a URL")
        self.path, self.url = path, url
        self._client: Any = None
        self._open = threading.Lock()

    @property
    def where(self) -> str:
        return self.url or f"persistent client in {self.path}"

    def client(self) -> Any:
        """Opened on first use (in a worker thread: importing chromadb takes a second)."""
        with self._open:
            if self._client is None:
                import chromadb
                from chromadb.config import Settings

                settings = Settings(anonymized_telemetry=False)
                if self.url is not None:
                    parts = urlsplit(self.url if "//" in self.url else f"http://{self.url}")
                    secure = parts.scheme == "https"
                    self._client = chromadb.HttpClient(
                        host=parts.hostname or "localhost", port=parts.port or (443 if secure
                                                                               else 8000),
                        ssl=secure, settings=settings)
                else:
                    assert self.path is not None
                    self.path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.path),
                                                             settings=settings)
            return self._client

    async def close(self) -> None:
        self._client = None  # chromadb has no close: its system stops with the process

    async def replace_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                               collection_id: uuid.UUID, document_id: uuid.UUID,
                               chunks: list[Chunk]) -> None:
        def replace() -> None:
            collection = self._collection(collection_id, create=bool(chunks))
            if collection is None:
                return
            scope = {"organization_id": str(organization_id),
                     "collection_id": str(collection_id), "document_id": str(document_id)}
            for start in range(0, len(chunks), BATCH):
                part = chunks[start:start + BATCH]
                collection.upsert(ids=[point_id(document_id, c.position) for c in part],
                                  embeddings=[c.embedding for c in part],
                                  documents=[c.content for c in part],
                                  metadatas=[{**scope, "position": c.position,
                                              **_flat(c.metadata)} for c in part])
            # the chunks of an earlier, longer version of the document
            collection.delete(where=_all(organization_id, collection_id,
                                         {"document_id": str(document_id)},
                                         {"position": {"$gte": len(chunks)}}))

        with self._failures("could not store the document's chunks"):
            await asyncio.to_thread(replace)

    async def delete_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                              collection_id: uuid.UUID, document_id: uuid.UUID) -> None:
        def delete() -> None:
            collection = self._collection(collection_id, create=False)
            if collection is not None:
                collection.delete(where=_all(organization_id, collection_id,
                                             {"document_id": str(document_id)}))

        with self._failures("could not delete the document's chunks"):
            await asyncio.to_thread(delete)

    async def delete_collection(self, session: AsyncSession, *, organization_id: uuid.UUID,
                                collection_id: uuid.UUID) -> None:
        def drop() -> None:
            from chromadb.errors import NotFoundError

            try:
                self.client().delete_collection(collection_name(collection_id))
            except NotFoundError:
                pass

        with self._failures("could not delete the collection's chunks"):
            await asyncio.to_thread(drop)

    async def search(self, session: AsyncSession, *, organization_id: uuid.UUID,
                     collection_id: uuid.UUID, embedding: list[float], top_k: int,
                     min_score: float | None, where: Where | None = None) -> list[Hit]:
        def query() -> list[Hit]:
            collection = self._collection(collection_id, create=False)
            if collection is None:
                return []  # no document was stored yet
            # a `where` makes Chroma list every matching id first: the collection holds one
            # knowledge collection, so the hits' scope is checked instead, and a `where` is
            # sent only for a metadata filter
            found = collection.query(query_embeddings=[embedding], n_results=top_k,
                                     where=_where(where) if where else None,
                                     include=["documents", "metadatas", "distances"])
            return [Hit(uuid.UUID(str(m["document_id"])), int(m["position"]), str(d), 1.0 - s)
                    for m, d, s in zip(found["metadatas"][0], found["documents"][0],
                                       found["distances"][0], strict=True)
                    if m.get("organization_id") == str(organization_id)
                    and m.get("collection_id") == str(collection_id)]

        with self._failures("could not search"):
            hits = await asyncio.to_thread(query)
        return [h for h in hits if min_score is None or h.score >= min_score]

    def _collection(self, collection_id: uuid.UUID, *, create: bool) -> Any:
        from chromadb.errors import NotFoundError

        client, name = self.client(), collection_name(collection_id)
        if create:
            return client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
        try:
            return client.get_collection(name, embedding_function=None)
        except NotFoundError:
            return None

    def _failures(self, what: str) -> AbstractContextManager[None]:
        return failures(f"Chroma ({self.where}) {what}")


META = "meta."  # prefix of a document's metadata keys among a record's own


def _flat(metadata: dict[str, Any]) -> dict[str, Any]:
    """What Chroma can hold of a document's metadata: scalars and non-empty lists of them."""
    scalar = (str, int, float, bool)
    return {META + k: v for k, v in metadata.items()
            if isinstance(v, scalar) or (isinstance(v, list) and v
                                         and all(isinstance(x, scalar) for x in v))}


def _where(where: Where) -> dict[str, Any]:
    conditions = [{META + key: {"$contains": item} if isinstance(value, list) else item}
                  for key, value in where.items()
                  for item in (value if isinstance(value, list) else [value])]
    return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def _all(organization_id: uuid.UUID, collection_id: uuid.UUID,
         *more: dict[str, Any]) -> dict[str, Any]:
    return {"$and": [{"organization_id": str(organization_id)},
                     {"collection_id": str(collection_id)}, *more]}
