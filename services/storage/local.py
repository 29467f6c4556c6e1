"""The local backend: `<data dir>/objects/<bucket>/<key>`, served by the app itself.

A download URL is `/files/{id}?expires=<unix time>&signature=<hex>`: an HMAC-SHA256 of the id
and the expiry under a key derived from the app secret (its own HKDF label, so it differs from
the token and encryption keys). `download_file` checks both and streams the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import time
import uuid
from functools import cached_property
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from services.security.encryption import derive_key
from services.settings import Settings, secret_key
from services.storage.base import CHUNK, Storage, StoredFileUnavailable

DOWNLOAD_URL = b"aiplatform/file-download-url/v1"


class LocalStorage(Storage):
    provider = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bucket = settings.s3_bucket
        self.root = settings.data_dir.resolve() / "objects"

    @cached_property
    def _signing_key(self) -> bytes:
        return derive_key(secret_key(self.settings), DOWNLOAD_URL)

    def file_path(self, storage_path: str) -> Path | None:
        """The file of `bucket/key`, or None when the path would leave the objects folder."""
        path = (self.root / storage_path).resolve()
        return path if path.is_relative_to(self.root) else None

    async def local_path(self, storage_path: str, folder: Path) -> Path:
        path = self.file_path(storage_path)
        if path is None or not path.is_file():
            raise StoredFileUnavailable("is missing from storage")
        return path

    async def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, source, size)

    def _put(self, key: str, source: BinaryIO, size: int) -> None:
        path = self.file_path(self.path_of(key))
        if path is None:
            raise ValueError("object key outside the storage folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        try:
            with partial.open("wb") as out:
                left = size
                while left > 0:
                    chunk = source.read(min(CHUNK, left))
                    if not chunk:
                        raise ValueError("the upload ended early")
                    out.write(chunk)
                    left -= len(chunk)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)

    async def delete(self, key: str) -> None:
        path = self.file_path(self.path_of(key))
        if path is not None:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        path = self.file_path(self.path_of(key))
        return path is not None and path.is_file()

    async def read(self, storage_path: str, limit: int) -> bytes:
        path = self.file_path(storage_path)
        if path is None or not path.is_file():
            raise FileNotFoundError(storage_path)
        if path.stat().st_size > limit:
            raise ValueError(f"the file is larger than {limit} bytes")
        return await asyncio.to_thread(path.read_bytes)

    def signature(self, file_id: uuid.UUID | str, expires: int) -> str:
        return hmac.new(self._signing_key, f"{file_id}:{expires}".encode(),
                        hashlib.sha256).hexdigest()

    def download_url(self, *, file_id: uuid.UUID, storage_path: str, base_url: str) -> str:
        expires = int(time.time()) + self.settings.download_url_ttl_seconds
        query = urlencode({"expires": expires, "signature": self.signature(file_id, expires)})
        return f"{base_url.rstrip('/')}/files/{file_id}?{query}"


FILE_SQL = """SELECT storage_path, storage_provider, filename, mime_type FROM files
WHERE id = $1 AND deleted_at IS NULL"""


def _refused() -> Response:
    return PlainTextResponse("This download link is invalid or has expired", status_code=403)


async def download_file(request: Request) -> Response:
    """GET /files/{id}?expires=..&signature=..: 403 for a bad or expired signature, 404 when
    the file is gone; else the bytes, with the stored content type and file name."""
    storage = request.app.state.storage
    if not isinstance(storage, LocalStorage):
        return PlainTextResponse("Not found", status_code=404)
    raw_id = request.path_params["file_id"]
    try:
        file_id = uuid.UUID(raw_id)
        expires = int(request.query_params.get("expires", ""))
    except ValueError:
        return _refused()
    signature = request.query_params.get("signature", "")
    if not hmac.compare_digest(signature, storage.signature(raw_id, expires)):
        return _refused()
    if expires < time.time():
        return _refused()
    rows = await request.app.state.db.fetch(FILE_SQL, file_id)
    path = None
    if rows and rows[0]["storage_provider"] == LocalStorage.provider:
        path = storage.file_path(rows[0]["storage_path"])
    if path is None or not path.is_file():
        return PlainTextResponse("Not found", status_code=404)
    row = rows[0]
    return FileResponse(path, media_type=row["mime_type"] or "application/octet-stream",
                        filename=row["filename"],
                        headers={"x-content-type-options": "nosniff",
                                 "cache-control": "private, no-store"})


