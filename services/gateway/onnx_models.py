"""ONNX model versions answering `POST /v1/deployments/{name}/predict`: the version's file
(an `.onnx` export, as training or skl2onnx produces) loaded into an onnxruntime session, rows
in, predictions out.

Sessions are kept per process for the MAX_SESSIONS most recently used versions, keyed by the
version and its file's path, so a version whose file is replaced gets a new session. Loading
and running happen in a worker thread: the event loop keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

MAX_SESSIONS = 16


class PredictionError(ValueError):
    """The rows do not fit the model, or the file is not a model onnxruntime can run."""


class OnnxModels:
    def __init__(self) -> None:
        self._sessions: OrderedDict[tuple[uuid.UUID, str], Any] = OrderedDict()
        self._lock = asyncio.Lock()

    async def session(self, version_id: uuid.UUID, path: str,
                      read: Callable[[str], Awaitable[bytes]]) -> Any:
        key = (version_id, path)
        async with self._lock:
            session = self._sessions.get(key)
            if session is None:
                session = await asyncio.to_thread(_load, await read(path))
                self._sessions[key] = session
                while len(self._sessions) > MAX_SESSIONS:
                    self._sessions.popitem(last=False)
            self._sessions.move_to_end(key)
            return session

    async def predict(self, session: Any, rows: list[list[float]]) -> dict[str, Any]:
        return await asyncio.to_thread(_predict, session, rows)


def _load(model: bytes) -> Any:
    import onnxruntime

    try:
        return onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        raise PredictionError(f"The model version's file is not an ONNX model onnxruntime "
                              f"can run: {error}") from None


def _predict(session: Any, rows: list[list[float]]) -> dict[str, Any]:
    """`predictions`: the first output, one value per row; `probabilities` when the second
    output is a tensor (a classifier exported without a ZipMap)."""
    import numpy as np

    (first, *_) = session.get_inputs()
    dtype = np.int64 if "int64" in first.type else np.float32
    try:
        outputs = session.run(None, {first.name: np.asarray(rows, dtype=dtype)})
    except Exception as error:
        raise PredictionError(f"The rows do not fit the model's input {first.name} "
                              f"{first.shape}: {error}") from None
    answer: dict[str, Any] = {"predictions": np.asarray(outputs[0]).tolist()}
    if len(outputs) > 1 and isinstance(outputs[1], np.ndarray):
        answer["probabilities"] = outputs[1].tolist()
    return answer
