"""The job's log as a file on this machine (services/storage: the local backend's own file, or
a temporary copy downloaded from S3 in chunks, never the whole object in memory)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.charging.frames import LogError
from services.storage.base import Storage, StoredFileUnavailable


@asynccontextmanager
async def local_file(storage: Storage, storage_path: str) -> AsyncIterator[Path]:
    """Raises LogError when the object is missing or unreadable."""
    with tempfile.TemporaryDirectory(prefix="charging-") as folder:
        try:
            path = await storage.local_path(storage_path, Path(folder))
        except StoredFileUnavailable as error:
            raise LogError(f"the uploaded log {error}") from None
        yield path
