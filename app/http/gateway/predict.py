"""`POST /v1/deployments/{name}/predict`: rows in, predictions out, from the ONNX file of the
model version the deployment serves (services/gateway/onnx_models.py). The same access,
routing, budget and usage row as the other gateway calls; the row counts the rows predicted
(`metadata.rows`) and no tokens.

    {"rows": [[5.1, 3.5, 1.4, 0.2], ...]}  →  {"predictions": [0, ...], "probabilities": [...]}
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from app.http.gateway.access import admit, target_for
from app.http.gateway.responses import json_body, json_response, refusals
from services.gateway import errors
from services.gateway.accounting import Usage, record
from services.gateway.onnx_models import OnnxModels

MAX_ROWS = 10_000
MAX_MODEL_BYTES = 512 * 1024 * 1024


def _rows(value: object) -> list[list[float]]:
    if (not isinstance(value, list) or not 1 <= len(value) <= MAX_ROWS
            or not all(isinstance(row, list) and row for row in value)):
        raise errors.invalid(f"`rows` must be a list of 1 to {MAX_ROWS} non-empty lists of "
                             "numbers")
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool)
               for row in value for x in row):
        raise errors.invalid("`rows` may hold numbers only")
    return value


def _models(request: Request) -> OnnxModels:
    models: OnnxModels | None = getattr(request.app.state, "onnx_models", None)
    if models is None:
        models = request.app.state.onnx_models = OnnxModels()
    return models


async def _predict(request: Request) -> Response:
    began = time.perf_counter()
    caller = await admit(request)
    name = request.path_params["name"]
    rows = _rows((await json_body(request)).get("rows"))
    target = await target_for(request, caller, name, None)
    if target.artifact_path is None:
        raise errors.invalid(f"The deployment {name!r} serves a model version without a file "
                             "to predict with (an ONNX export)", "model_not_supported")
    usage = Usage(target, "prediction", caller.user_id, caller.api_key_id,
                  metadata={"rows": len(rows)})
    storage = request.app.state.storage
    models = _models(request)
    try:
        session = await models.session(
            target.model_version_id, target.artifact_path,
            lambda path: storage.read(path, MAX_MODEL_BYTES))
        answer = await models.predict(session, rows)
    except (ValueError, FileNotFoundError) as error:  # PredictionError, a file too large
        usage.status, usage.error = "error", str(error)
        await record(request.app.state.db, usage, round((time.perf_counter() - began) * 1000))
        raise errors.invalid(str(error), "invalid_rows") from None
    await record(request.app.state.db, usage, round((time.perf_counter() - began) * 1000))
    return json_response({"model": name, **answer})


predict = refusals("predict", _predict)
