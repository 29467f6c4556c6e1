"""uploadFile: permission, then the upload read once (size limit, SHA-256, MIME from content),
then the object stored, then the files row and its audit row in one transaction.

The object is stored before the row is written and deleted again when the transaction fails,
so a row never points at a missing object. Too large or mistyped uploads store nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import PurePosixPath
from typing import Any

from db.models import File
from graphql_schema.context import Info
from graphql_schema.datasets import types
from graphql_schema.datasets.files import FileErrorCode, UploadFileInput, UploadFilePayload
from graphql_schema.identity.types import Organization
from graphql_schema.relay import decode_global_id_of
from resolvers.files.content import Mismatch, content_type, inspect
from resolvers.input_checks import Checks
from resolvers.mutations import InvalidInput, Problem, mutation_payload, require, write
from resolvers.nodes import fresh_node
from services.storage import Storage, object_key

PERMISSION = "file:write"
MAX_FILENAME = 255


def storage_of(info: Info) -> Storage:
    request = info.context.request
    assert request is not None  # mutations arrive over HTTP or a socket, both have an app
    storage: Storage = request.app.state.storage
    return storage


def _problem(message: str, code: str) -> InvalidInput:
    return InvalidInput(Problem("file", message, code))


async def upload_file(info: Info, input: UploadFileInput) -> UploadFilePayload:
    org_id = decode_global_id_of(input.organization_id, Organization, field="organizationId")
    require(info, PERMISSION, org_id)

    async def body() -> UploadFilePayload:
        upload: Any = input.file
        source = getattr(upload, "file", None)
        if source is None or not hasattr(source, "read"):
            raise _problem("Send the file as a multipart request (GraphQL multipart request "
                           "spec), mapped to variables.input.file", FileErrorCode.REQUIRED)
        c = Checks()
        filename = PurePosixPath((upload.filename or "").replace("\\", "/")).name
        filename = c.name("file", filename, MAX_FILENAME)
        c.raise_if_any()
        limit = info.context.settings.max_upload_bytes
        seen = await asyncio.to_thread(inspect, source, limit)
        if seen.too_large:
            raise _problem(f"The file is larger than the upload limit of {limit} bytes",
                           FileErrorCode.FILE_TOO_LARGE)
        try:
            mime = content_type(filename, seen.head)
        except Mismatch as mismatch:
            raise _problem(str(mismatch), FileErrorCode.MIME_MISMATCH) from None

        storage = storage_of(info)
        file_id = uuid.uuid4()
        key = object_key(org_id, file_id)
        await storage.put(key, source, seen.size, mime)
        values = {
            "filename": filename, "original_filename": upload.filename, "mime_type": mime,
            "file_type": PurePosixPath(filename).suffix.lstrip(".").lower()[:100] or None,
            "size_bytes": seen.size, "checksum": seen.sha256,
            "storage_provider": storage.provider, "storage_path": storage.path_of(key),
            "metadata_": {"purpose": input.purpose.value}, "status": "uploaded",
        }
        try:
            async with write(info) as tx:
                tx.session.add(File(id=file_id, organization_id=org_id,
                                    user_id=info.context.principal.user_id, **values))
                await tx.session.flush()
                await tx.audit("file.upload", resource_type="File", resource_id=file_id,
                               organization_id=org_id,
                               new={k.rstrip("_"): v for k, v in values.items()
                                    if k != "storage_path"})
        except BaseException:
            await asyncio.shield(storage.delete(key))
            raise
        return UploadFilePayload(file=await fresh_node(info, types.File, file_id))

    return await mutation_payload(body, lambda e: UploadFilePayload(user_errors=e))
