"""Object storage behind one small interface (DESIGN.md §1): a local folder by default, S3/MinIO
when `S3_ENDPOINT` is set. `make_storage(settings)` picks one; `create_app` keeps it on
`app.state.storage`. Nothing connects until the first upload or download.
"""

from __future__ import annotations

from services.settings import Settings
from services.storage.base import Storage, object_key, split_path


def make_storage(settings: Settings) -> Storage:
    if settings.s3_endpoint:
        from services.storage.s3 import S3Storage

        return S3Storage(settings)
    from services.storage.local import LocalStorage

    return LocalStorage(settings)


__all__ = ["Storage", "make_storage", "object_key", "split_path"]
