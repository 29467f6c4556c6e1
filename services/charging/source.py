"""The job's log as a file on this machine: the local backend's own file, or a temporary copy
downloaded from S3 in chunks (never the whole object in memory)."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from services.charging.frames import LogError
from services.storage.base import Storage, split_path
from services.storage.local import LocalStorage


@asynccontextmanager
async def local_file(storage: Storage, storage_path: str) -> AsyncIterator[Path]:
    """Raises LogError when the object is missing."""
    if isinstance(storage, LocalStorage):
        path = storage.file_path(storage_path)
        if path is None or not path.is_file():
            raise LogError("the uploaded log is missing from storage")
        yield path
        return
    from services.storage.s3 import S3Storage

    if not isinstance(storage, S3Storage):
        raise LogError(f"cannot read logs from {type(storage).__name__}")
    bucket, key = split_path(storage_path)
    with tempfile.TemporaryDirectory(prefix="charging-") as folder:
        path = Path(folder) / "log"
        try:
            await asyncio.to_thread(storage.client.fget_object, bucket, key, str(path))
        except Exception as error:  # minio's S3Error: NoSuchKey, access denied...
            raise LogError(f"the uploaded log could not be read from storage: {error}") from None
        yield path
