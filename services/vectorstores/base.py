"""What every vector store shares: the chunk and hit records, the interface, its error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Chunk:
    position: int
    content: str
    embedding: list[float]
    # the document's metadata (source, type, category, tags, language, author, version, and
    # any other keys), copied onto each chunk so that a search filters inside the store
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    document_id: uuid.UUID
    position: int
    content: str
    score: float  # cosine similarity, 1 = same direction


# A metadata filter: every key must match. A string, number or boolean equals the chunk's value
# for that key; a list of strings is contained in the chunk's list (tags: all of them).
Where = dict[str, Any]


class VectorStoreError(LookupError):
    """A store that cannot serve now (package missing, folder locked, server down, a failed
    write). A LookupError, like an unknown store name, so one handler covers both; its text is
    shown to users (a document's `error`, a userError)."""


class VectorStore(Protocol):
    """The chunks of a collection's documents, searchable by cosine similarity.

    `session` is the caller's transaction: pgvector writes in it (its chunks commit with the
    document's status), the other stores write at once and ignore it, so their writes are
    idempotent (a retried document overwrites its own points) and happen before the caller
    commits (a failed store write rolls the document's change back)."""

    async def replace_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                               collection_id: uuid.UUID, document_id: uuid.UUID,
                               chunks: list[Chunk]) -> None:
        """The document's chunks become exactly `chunks`."""

    async def delete_document(self, session: AsyncSession, *, organization_id: uuid.UUID,
                              collection_id: uuid.UUID, document_id: uuid.UUID) -> None: ...

    async def delete_collection(self, session: AsyncSession, *, organization_id: uuid.UUID,
                                collection_id: uuid.UUID) -> None:
        """Every chunk of the collection goes (its model changes: the vectors must all be
        made again, perhaps with another size)."""

    async def search(self, session: AsyncSession, *, organization_id: uuid.UUID,
                     collection_id: uuid.UUID, embedding: list[float], top_k: int,
                     min_score: float | None, where: Where | None = None) -> list[Hit]:
        """The best `top_k` chunks of the collection, within the organization, best first,
        among those whose metadata matches `where` (the store filters while it searches, so
        `top_k` matching chunks come back when that many exist)."""


def collection_name(collection_id: uuid.UUID) -> str:
    """The name of a knowledge collection inside Qdrant or Chroma (`vector_collection_id`)."""
    return f"kb_{collection_id.hex}"


def point_id(document_id: uuid.UUID, position: int) -> str:
    """The same id for the same chunk every time, so a retried ingestion overwrites."""
    return str(uuid.uuid5(document_id, str(position)))


@contextmanager
def failures(prefix: str) -> Iterator[None]:
    """Any error of a store's client becomes a VectorStoreError saying which store and what."""
    try:
        yield
    except VectorStoreError:
        raise
    except Exception as error:
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        raise VectorStoreError(f"{prefix}: {reason}") from error
