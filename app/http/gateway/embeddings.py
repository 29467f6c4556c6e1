"""`POST /v1/embeddings`: vectors from the deployment the request's `model` names, whose
model is an embedding model: a built-in offline model (`provider: local`: the one its
`config.model` or name names, else multilingual-e5-small) or an OpenAI-compatible
`/embeddings` endpoint (the knowledge embedders of services/embeddings). `input` is a string
or a list of strings; `encoding_format` float (default) or base64 (little-endian float32, as
OpenAI's clients ask for by default)."""

from __future__ import annotations

import base64
import time
from array import array
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.http.gateway.access import admit, target_for
from app.http.gateway.responses import json_body, json_response, refusals
from services.embeddings import DEFAULT_MODEL, DIMENSIONS, Embedder, EmbeddingError, LocalEmbedder
from services.embeddings.openai_compatible import OpenAICompatibleEmbeddings
from services.gateway import errors
from services.gateway.accounting import Usage, record
from services.gateway.targets import Target
from services.pricing import cost_of
from services.providers.base import estimate_tokens

ENDPOINT = "embeddings"
MAX_INPUTS = 2048
LOCAL = "local"


def _inputs(value: object) -> list[str]:
    texts = [value] if isinstance(value, str) else value
    if (not isinstance(texts, list) or not texts or len(texts) > MAX_INPUTS
            or not all(isinstance(t, str) for t in texts)):
        raise errors.invalid(f"`input` must be a string or a list of 1 to {MAX_INPUTS} "
                             "strings (token arrays are not supported)")
    return texts


def _embedder(target: Target) -> Embedder:
    if target.provider == LOCAL:
        named = target.config.get("model") or target.model_name
        return LocalEmbedder(named if named in DIMENSIONS else DEFAULT_MODEL)
    return OpenAICompatibleEmbeddings(target.model_name, target.config)


def _encoded(vector: list[float], encoding: str) -> Any:
    if encoding == "base64":
        packed = array("f", vector)
        if packed.itemsize != 4:  # pragma: no cover  (every platform we run on)
            raise RuntimeError("float32 arrays are needed")
        return base64.b64encode(packed.tobytes()).decode()
    return vector


async def _embeddings(request: Request) -> Response:
    began = time.perf_counter()
    caller = await admit(request)
    body = await json_body(request)
    texts = _inputs(body.get("input"))
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise errors.invalid("`encoding_format` must be float or base64")
    target = await target_for(request, caller, body.get("model"), body.get("user"))
    if not target.embeds:
        raise errors.invalid(f"The deployment {target.name!r} does not serve an embedding "
                             "model", "model_not_supported")
    tokens = sum(estimate_tokens(t) for t in texts)
    usage = Usage(target, "embedding", caller.user_id, caller.api_key_id, input_tokens=tokens,
                  cost=cost_of(target.pricing, tokens, 0), metadata={"inputs": len(texts)})
    db = request.app.state.db
    try:
        vectors = await _embedder(target).embed(texts)
    except EmbeddingError as error:
        usage.status, usage.error = "error", str(error)
        await record(db, usage, round((time.perf_counter() - began) * 1000))
        raise errors.upstream_unavailable(str(error)) from None
    await record(db, usage, round((time.perf_counter() - began) * 1000))
    return json_response({
        "object": "list", "model": target.name,
        "data": [{"object": "embedding", "index": i, "embedding": _encoded(v, encoding)}
                 for i, v in enumerate(vectors)],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })


embeddings = refusals(ENDPOINT, _embeddings)
