"""A trained model's registration: its ONNX file in storage and a files row, and a draft
model version with its metrics, under the model the run names or else its experiment's.

An experiment's model is created on its first trained version (provider `custom`, type
`classification`, `config.experimentId` naming the experiment) and reused by its later runs.
Versions are numbered 1, 2, ... per model, under the model's row lock.
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AIModel, Experiment, File, ModelVersion, Run
from services.storage.base import Storage, object_key
from services.training.data import TrainingError

MIME = "application/octet-stream"


async def store_artifact(storage: Storage, organization_id: uuid.UUID, content: bytes
                         ) -> tuple[uuid.UUID, str]:
    """Put the export in storage first (a row never points at missing bytes): (file id,
    storage path)."""
    file_id = uuid.uuid4()
    key = object_key(organization_id, file_id)
    await storage.put(key, io.BytesIO(content), len(content), MIME)
    return file_id, storage.path_of(key)


async def register_version(session: AsyncSession, run: Run, *, model_id: uuid.UUID | None,
                           file_id: uuid.UUID, storage_path: str, provider: str,
                           content: bytes, metrics: dict[str, Any],
                           parameters: dict[str, Any]) -> ModelVersion:
    """The files row and the model version, in the caller's transaction."""
    model = await _model(session, run, model_id)
    file = File(id=file_id, organization_id=run.organization_id, user_id=run.created_by,
                filename=f"model-{run.id}.onnx", original_filename=None, file_type="onnx",
                mime_type=MIME, size_bytes=len(content), storage_provider=provider,
                storage_path=storage_path, checksum=hashlib.sha256(content).hexdigest(),
                metadata_={"runId": str(run.id)}, status="uploaded")
    session.add(file)
    await session.flush()
    count = await session.scalar(select(func.count()).select_from(ModelVersion)
                                 .where(ModelVersion.model_id == model.id))
    version = ModelVersion(
        organization_id=run.organization_id, model_id=model.id, version=str((count or 0) + 1),
        description=f"Trained by run {run.name or run.id}", status="draft",
        storage_location=storage_path, metrics=metrics, parameters=parameters,
        size_bytes=len(content), source_run_id=run.id, is_default=False,
        artifacts={"onnx": {"fileId": _global_id("File", file_id),
                            "inputs": len(parameters["features"])}},
        file_id=file_id, created_by=run.created_by)
    session.add(version)
    await session.flush()
    return version


def _global_id(type_name: str, key: uuid.UUID) -> str:
    """The Relay id clients use (`node(id:)`): base64 of `Type:key`."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _model(session: AsyncSession, run: Run, model_id: uuid.UUID | None) -> AIModel:
    """The model to register under, row-locked: the one named, else the experiment's."""
    if model_id is not None:
        model = await session.get(AIModel, model_id, with_for_update=True)
        if model is not None and model.deleted_at is None:
            return model
        raise TrainingError("the model to register the version under was deleted")
    experiment = await session.get(Experiment, run.experiment_id)
    assert experiment is not None  # a run's experiment row stays (soft delete)
    found = await session.scalar(
        select(AIModel).where(AIModel.organization_id == run.organization_id,
                              AIModel.deleted_at.is_(None),
                              AIModel.config["experimentId"].astext == str(experiment.id))
        .order_by(AIModel.created_at).limit(1).with_for_update())
    if found is not None:
        return found
    name = experiment.name
    taken = await session.scalar(select(AIModel.id).where(
        AIModel.organization_id == run.organization_id, AIModel.deleted_at.is_(None),
        AIModel.name == name))
    if taken is not None:
        name = f"{experiment.name[:180]} ({str(experiment.id)[:8]})"
    model = AIModel(organization_id=run.organization_id, name=name, provider="custom",
                    model_type="classification", framework="scikit-learn",
                    description=f"Classifiers trained in the experiment {experiment.name}",
                    config={"experimentId": str(experiment.id)}, created_by=run.created_by)
    session.add(model)
    await session.flush()
    return model
