"""The storage interface: objects named `bucket/key`, written from a file object of known size.

Keys follow one layout in every backend: `files/{organization_id}/{file_id}`, in the bucket
`S3_BUCKET` (a folder of that name under `<data dir>/objects` for the local backend); the
files row's `storage_path` holds `bucket/key`.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

CHUNK = 1024 * 1024


def object_key(organization_id: uuid.UUID, file_id: uuid.UUID) -> str:
    return f"files/{organization_id}/{file_id}"


def split_path(storage_path: str) -> tuple[str, str]:
    """`bucket/key` -> (bucket, key)."""
    bucket, _, key = storage_path.partition("/")
    return bucket, key


class StoredFileUnavailable(Exception):
    """A stored object that is missing or cannot be read; the message says which, as a
    predicate ("is missing from storage"), for the caller to name the object."""


class Storage(ABC):
    provider: str  # the files row's storage_provider
    bucket: str

    def path_of(self, key: str) -> str:
        return f"{self.bucket}/{key}"

    @abstractmethod
    async def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        """Store `size` bytes read from `source` (from its current position) under `key`,
        in chunks: never the whole object in memory. Nothing is left behind on failure."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def read(self, storage_path: str, limit: int) -> bytes:
        """The bytes of a stored object (`bucket/key` as in files.storage_path), refusing
        objects over `limit` bytes: for extracting text, never for serving downloads."""

    @abstractmethod
    async def local_path(self, storage_path: str, folder: Path) -> Path:
        """The stored object as a file on this machine, for readers that need a path (a log
        reader, a dataframe library): the local backend's own file, or a copy downloaded into
        `folder` in chunks, never whole in memory. Raises StoredFileUnavailable."""

    @abstractmethod
    def download_url(self, *, file_id: uuid.UUID, storage_path: str, base_url: str) -> str:
        """A URL that serves the object for `download_url_ttl_seconds`, then stops working."""
