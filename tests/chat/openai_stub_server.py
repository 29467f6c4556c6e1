"""A small, real OpenAI-compatible server for the provider tests: `POST /v1/chat/completions`
answering with server-sent events, as OpenAI, vLLM and Ollama do.

What it does depends on the requested `model`, so each test picks a behaviour:
  stub-echo      streams "Echo: <last user message>" word by word, then `data: [DONE]`
  stub-error     answers HTTP 500 with an OpenAI-style error body (that mentions the key)
  stub-slow      sends one piece, then stays silent for a minute
  stub-broken    sends two pieces, then an in-stream error chunk
With STUB_API_KEY set, any other bearer key gets 401. `GET /requests` lists the bodies (and
Authorization headers, and `traceparent` when sent) received, for assertions.

`POST /v1/embeddings` answers like OpenAI's with deterministic vectors: a hashed bag of words
(each lower-cased word, less a plural `s`, adds ±1 to one of the dimensions, then the vector is
normalized), so texts sharing words are close. 384 dimensions, or `dimensions` from the
request, or N for a model named `stub-embed-N`; the model `stub-embed-error` answers HTTP 500.
`GET /embedding-requests` lists what it received.

Run: python -m tests.chat.openai_stub_server --port 8123
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import re
from collections.abc import AsyncIterator

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

RECEIVED: list[dict] = []
EMBEDDING_REQUESTS: list[dict] = []
WORD = re.compile(r"[a-z0-9]+")


def _chunk(content: str | None = None, *, role: str | None = None,
           finish: str | None = None) -> bytes:
    delta = {k: v for k, v in (("role", role), ("content", content)) if v is not None}
    body = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "model": "stub",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + orjson.dumps(body) + b"\n\n"


def echo_pieces(messages: list[dict]) -> list[str]:
    last = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    return re.findall(r"\s*\S+", f"Echo: {last}")


async def completions(request: Request) -> Response:
    body = orjson.loads(await request.body())
    authorization = request.headers.get("authorization")
    received = {"body": body, "authorization": authorization}
    if traceparent := request.headers.get("traceparent"):  # sent by a traced server
        received["traceparent"] = traceparent
    RECEIVED.append(received)
    key = os.environ.get("STUB_API_KEY")
    if key and authorization != f"Bearer {key}":
        return JSONResponse({"error": {"message": "Incorrect API key provided",
                                       "type": "invalid_request_error"}}, status_code=401)
    model = body.get("model")
    if model == "stub-error":
        return JSONResponse({"error": {"message": f"The model is overloaded (key {key})",
                                       "type": "server_error"}}, status_code=500)

    async def events() -> AsyncIterator[bytes]:
        yield b": keep-alive comment\n\n"
        yield _chunk(role="assistant")
        if model == "stub-slow":
            yield _chunk("Thinking")
            await asyncio.sleep(60)
        pieces = echo_pieces(body.get("messages", []))
        if model == "stub-broken":
            for piece in pieces[:2]:
                yield _chunk(piece)
            yield b"data: " + orjson.dumps({"error": {"message": "upstream crashed"}}) + b"\n\n"
            return
        for piece in pieces:
            yield _chunk(piece)
        yield _chunk(finish="stop")
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def bag_of_words(text: str, dimensions: int) -> list[float]:
    vector = [0.0] * dimensions
    for word in WORD.findall(text.lower()):
        word = word[:-1] if len(word) > 3 and word.endswith("s") else word
        digest = hashlib.sha256(word.encode()).digest()
        vector[int.from_bytes(digest[:4], "big") % dimensions] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


async def embeddings(request: Request) -> Response:
    body = orjson.loads(await request.body())
    authorization = request.headers.get("authorization")
    EMBEDDING_REQUESTS.append({"body": body, "authorization": authorization})
    key = os.environ.get("STUB_API_KEY")
    if key and authorization != f"Bearer {key}":
        return JSONResponse({"error": {"message": "Incorrect API key provided"}}, status_code=401)
    model = str(body.get("model"))
    if model == "stub-embed-error":
        return JSONResponse({"error": {"message": "The embedding service is down"}},
                            status_code=500)
    suffix = model.removeprefix("stub-embed-")
    dimensions = body.get("dimensions") or (int(suffix) if suffix.isdigit() else 384)
    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = [{"object": "embedding", "index": i, "embedding": bag_of_words(t, dimensions)}
            for i, t in enumerate(texts)]
    return JSONResponse({"object": "list", "model": model, "data": data[::-1],  # any order
                         "usage": {"prompt_tokens": 0, "total_tokens": 0}})


async def received(request: Request) -> Response:
    return JSONResponse(RECEIVED)


async def embedding_requests(request: Request) -> Response:
    return JSONResponse(EMBEDDING_REQUESTS)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[
    Route("/v1/chat/completions", completions, methods=["POST"]),
    Route("/v1/embeddings", embeddings, methods=["POST"]),
    Route("/requests", received),
    Route("/embedding-requests", embedding_requests),
    Route("/healthz", health),
])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    uvicorn.run(app, host="127.0.0.1", port=parser.parse_args().port, log_level="warning")
