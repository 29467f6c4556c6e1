"""`POST /v1/deployments/{name}/predict` on a deployed ONNX model version: a classifier
fitted here with scikit-learn, exported with skl2onnx and stored as the version's file,
predicts through the gateway exactly what it predicts in the test."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sqlalchemy import select

from db.models import ModelUsageLog, ModelVersion
from services.storage.base import object_key
from tests.factories.datasets import make_file
from tests.gateway.conftest import deploy

sklearn = pytest.importorskip("sklearn")
skl2onnx = pytest.importorskip("skl2onnx")


def fitted_classifier():
    """Three well-separated clusters in 4 dimensions, and a logistic regression of them."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(18)
    centers = np.array([[0, 0, 0, 0], [4, 4, 0, 0], [0, 4, 4, 4]], dtype=np.float32)
    labels = rng.integers(0, 3, size=150)
    rows = centers[labels] + rng.normal(0, 1.0, size=(150, 4)).astype(np.float32)
    return LogisticRegression(max_iter=500).fit(rows, labels), rng


def onnx_bytes(model) -> bytes:
    from skl2onnx import to_onnx

    return to_onnx(model, np.zeros((1, 4), dtype=np.float32),
                   options={id(model): {"zipmap": False}}).SerializeToString()


async def test_predictions_match_the_model_fitted_here(app, client, session, world) -> None:
    model, rng = fitted_classifier()
    exported = onnx_bytes(model)
    deployment = await deploy(session, organization=world.acme, name="iris-like",
                              model_name="classifier", model_type="classification")
    file = await make_file(session, organization=world.acme, filename="classifier.onnx",
                           size_bytes=len(exported))
    storage = app.state.storage
    key = object_key(world.acme.id, file.id)
    await storage.put(key, io.BytesIO(exported), len(exported), "application/octet-stream")
    file.storage_path = storage.path_of(key)
    version = await session.get(ModelVersion, deployment.model_version_id)
    version.file_id = file.id
    await session.commit()
    rows = (rng.normal(2, 2.5, size=(25, 4))).astype(np.float32)

    response = await client.post("/v1/deployments/iris-like/predict",
                                 headers={"authorization": f"Bearer {world.key}"},
                                 json={"rows": rows.tolist()})

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["predictions"] == model.predict(rows).tolist()
    assert np.allclose(answer["probabilities"], model.predict_proba(rows), atol=1e-5)
    row = await session.scalar(select(ModelUsageLog))
    assert (row.request_type, row.status, row.metadata_["rows"], row.deployment_id) == (
        "prediction", "success", 25, deployment.id)

    wrong_width = await client.post("/v1/deployments/iris-like/predict",
                                    headers={"authorization": f"Bearer {world.key}"},
                                    json={"rows": [[1.0, 2.0]]})
    assert wrong_width.status_code == 400
    assert wrong_width.json()["error"]["code"] == "invalid_rows"


async def test_a_deployment_without_a_model_file_cannot_predict(client, world) -> None:
    response = await client.post("/v1/deployments/assistant/predict",
                                 headers={"authorization": f"Bearer {world.key}"},
                                 json={"rows": [[1.0]]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "model_not_supported"
