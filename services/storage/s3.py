"""The S3 backend (MinIO or any S3-protocol server) through the `minio` client.

`S3_ENDPOINT` is `host:port` or a URL (`https://` turns TLS on, as `S3_SECURE` does). The
bucket is created on first use when missing. Download URLs are presigned GETs that expire
after `AIPLATFORM_DOWNLOAD_URL_TTL_SECONDS`. The secret key stays inside the client: it is
never logged or returned.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from minio import Minio
from minio.error import S3Error

from services.settings import Settings
from services.storage.base import CHUNK, Storage, StoredFileUnavailable, split_path

PART_SIZE = max(CHUNK * 8, 5 * 1024 * 1024)  # multipart parts: S3's minimum is 5 MiB


def client_for(settings: Settings) -> Minio:
    endpoint, secure = settings.s3_endpoint or "", settings.s3_secure
    if "://" in endpoint:
        parts = urlsplit(endpoint)
        endpoint, secure = parts.netloc, parts.scheme == "https"
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    return Minio(endpoint, access_key=settings.s3_access_key, secret_key=secret,
                 secure=secure, region=settings.s3_region)


class S3Storage(Storage):
    provider = "s3"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bucket = settings.s3_bucket
        self.client = client_for(settings)
        self._bucket_ready = False
        self._bucket_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"S3Storage(endpoint={self.settings.s3_endpoint!r}, bucket={self.bucket!r})"

    async def ensure_bucket(self) -> None:
        async with self._bucket_lock:
            if self._bucket_ready:
                return
            if not await asyncio.to_thread(self.client.bucket_exists, self.bucket):
                try:
                    await asyncio.to_thread(self.client.make_bucket, self.bucket)
                except S3Error as error:  # another process made it first
                    if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._bucket_ready = True

    async def put(self, key: str, source: BinaryIO, size: int, content_type: str) -> None:
        await self.ensure_bucket()
        # put_object reads the source in parts (a multipart upload above PART_SIZE) and aborts
        # the multipart upload when it fails, so no partial object remains.
        await asyncio.to_thread(self.client.put_object, self.bucket, key, source, size,
                                content_type=content_type, part_size=PART_SIZE)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.remove_object, self.bucket, key)

    async def exists(self, key: str) -> bool:
        try:
            await asyncio.to_thread(self.client.stat_object, self.bucket, key)
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject"):
                return False
            raise
        return True

    async def read(self, storage_path: str, limit: int) -> bytes:
        bucket, key = split_path(storage_path)
        stat = await asyncio.to_thread(self.client.stat_object, bucket, key)
        if (stat.size or 0) > limit:
            raise ValueError(f"the file is larger than {limit} bytes")

        def fetch() -> bytes:
            response = self.client.get_object(bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await asyncio.to_thread(fetch)

    async def local_path(self, storage_path: str, folder: Path) -> Path:
        bucket, key = split_path(storage_path)
        path = folder / f"object-{uuid.uuid4().hex}"
        try:
            await asyncio.to_thread(self.client.fget_object, bucket, key, str(path))
        except Exception as error:  # S3Error (NoSuchKey, access denied), the endpoint down
            raise StoredFileUnavailable(
                f"could not be read from storage: {error}") from None
        return path

    def download_url(self, *, file_id: uuid.UUID, storage_path: str, base_url: str) -> str:
        bucket, key = split_path(storage_path)
        return self.client.presigned_get_object(
            bucket, key, expires=timedelta(seconds=self.settings.download_url_ttl_seconds))
