"""A fitted model's final metrics and its ONNX export.

Metrics are computed on the validation part with scikit-learn's own functions; precision,
recall and f1 are macro averages (every class counts the same, whatever its size). The export
takes rows of float32 numbers, one per feature in order, and answers labels and class
probabilities (no ZipMap), which is what the gateway's predict route expects.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from services.training.data import Split


def final_metrics(model: Any, data: Split) -> dict[str, float | int]:
    from sklearn.metrics import (
        accuracy_score,
        f1_score,
        log_loss,
        precision_score,
        recall_score,
    )

    predicted = model.predict(data.x_validation)
    truth = data.y_validation
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "precision": float(precision_score(truth, predicted, average="macro",
                                           zero_division=0)),
        "recall": float(recall_score(truth, predicted, average="macro", zero_division=0)),
        "log_loss": float(log_loss(truth, model.predict_proba(data.x_validation),
                                   labels=model.classes_)),
        "train_accuracy": float(accuracy_score(data.y_train, model.predict(data.x_train))),
        "train_rows": len(data.y_train),
        "validation_rows": len(truth),
    }


def onnx_export(model: Any, n_features: int) -> bytes:
    from skl2onnx import to_onnx

    sample = np.zeros((1, n_features), dtype=np.float32)
    return to_onnx(model, sample, options={id(model): {"zipmap": False}}).SerializeToString()


def classes_of(model: Any) -> list[Any]:
    """The model's class labels as JSON values."""
    return [c.item() if isinstance(c, np.generic) else c for c in model.classes_]
