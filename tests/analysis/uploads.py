"""Charging jobs over uploaded logs, for the tests of the analysis runner and its progress."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AnalysisJob, File, Organization
from services.storage import object_key
from tests.analysis.gbt_simulator import WRITERS, Frame


async def upload(session: AsyncSession, storage, *, organization: Organization, content: bytes,
                 filename: str) -> File:
    file = File(id=uuid.uuid4(), organization_id=organization.id, filename=filename,
                size_bytes=len(content), file_type=Path(filename).suffix.lstrip(".") or None)
    key = object_key(organization.id, file.id)
    await storage.put(key, io.BytesIO(content), len(content), "application/octet-stream")
    file.storage_path = storage.path_of(key)
    session.add(file)
    await session.flush()
    return file


async def uploaded_job(session: AsyncSession, storage, tmp_path: Path, *,
                       organization: Organization, frames: Iterator[Frame], fmt: str = "blf",
                       parameters: dict | None = None, cut: int | None = None,
                       name: str = "session") -> AnalysisJob:
    """A pending charging job of a log of `frames` (its first `cut` bytes, if given), committed."""
    path = WRITERS[fmt](tmp_path / f"{name}.{fmt}", frames)
    content = path.read_bytes()[:cut]
    file = await upload(session, storage, organization=organization, content=content,
                        filename=f"{name}.{fmt}")
    job = AnalysisJob(organization_id=organization.id, name=name, status="pending",
                      file_id=file.id, file_path=file.storage_path, file_size=len(content),
                      file_type=fmt, parameters=parameters or {})
    session.add(job)
    await session.commit()
    return job
