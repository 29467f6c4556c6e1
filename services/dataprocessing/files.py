"""Where a task's files live while it runs: a private folder (`Workspace`), the source
version's file as a path on this machine, and the files it wrote put into storage.

The work runs in a thread that cannot be interrupted; when the task is cancelled meanwhile,
the folder is removed once the thread has finished with it.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from services.dataprocessing.formats import MIME_TYPES, DataError
from services.storage import Storage, object_key, split_path
from services.storage.base import CHUNK, StoredFileUnavailable

T = TypeVar("T")


class Workspace:
    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="dataprocessing-"))
        self._busy: asyncio.Future[Any] | None = None

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in a thread; a cancelled caller stops waiting, the thread runs out."""
        self._busy = asyncio.ensure_future(asyncio.to_thread(work))
        return await asyncio.shield(self._busy)  # type: ignore[no-any-return]

    def close(self) -> None:
        busy = self._busy
        if busy is None or busy.done():
            shutil.rmtree(self.path, ignore_errors=True)
            return

        def finished(future: asyncio.Future[Any]) -> None:
            if not future.cancelled():
                future.exception()  # seen: its error was the cancelled task's
            shutil.rmtree(self.path, ignore_errors=True)

        busy.add_done_callback(finished)


async def local_source(storage: Storage, storage_path: str, workspace: Workspace) -> Path:
    """The stored file as a path: the local backend's own file, or a copy from S3 in the
    workspace (services/storage)."""
    try:
        return await storage.local_path(storage_path, workspace.path)
    except StoredFileUnavailable as error:
        raise DataError(f"the version's file {error}") from None


@dataclass(frozen=True)
class Stored:
    """A written file in storage: the values of its `files` row."""

    id: uuid.UUID
    storage_provider: str
    storage_path: str
    size_bytes: int
    checksum: str
    mime_type: str


async def store(storage: Storage, organization_id: uuid.UUID, path: Path, fmt: str) -> Stored:
    file_id = uuid.uuid4()
    key = object_key(organization_id, file_id)
    size, checksum = await asyncio.to_thread(_measure, path)
    source = await asyncio.to_thread(path.open, "rb")
    try:
        await storage.put(key, source, size, MIME_TYPES[fmt])
    finally:
        source.close()
    return Stored(file_id, storage.provider, storage.path_of(key), size, checksum,
                  MIME_TYPES[fmt])


async def discard(storage: Storage, stored: list[Stored]) -> None:
    """Remove files written for results that will not be recorded."""
    for file in stored:
        await storage.delete(split_path(file.storage_path)[1])


def _measure(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of the file."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
