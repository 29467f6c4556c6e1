"""Dataset versions whose files are stored like uploads, for the data processing tests."""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Dataset, DatasetVersion, Organization
from tests.analysis.uploads import upload
from tests.factories.datasets import make_dataset_version


async def version_with_file(session: AsyncSession, storage, *, dataset: Dataset, content: bytes,
                            filename: str, version: str = "v1") -> DatasetVersion:
    organization = await session.get_one(Organization, dataset.organization_id)
    file = await upload(session, storage, organization=organization, content=content,
                        filename=filename)
    return await make_dataset_version(session, dataset=dataset, version=version, file=file)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_csv(out)
    return out.getvalue()
