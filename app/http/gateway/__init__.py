"""The OpenAI-compatible gateway under /v1: chat completions, embeddings, the model list and
predictions of ONNX model versions, answered by the caller's running deployments
(docs/gateway.md). Mounted in app/main.py inside the same middleware as /graphql (tracing,
the request observer, CORS)."""

from __future__ import annotations

from starlette.routing import Mount, Route

from app.http.gateway.chat import chat_completions
from app.http.gateway.embeddings import embeddings
from app.http.gateway.models import list_models
from app.http.gateway.predict import predict


def gateway() -> Mount:
    return Mount("/v1", routes=[
        Route("/chat/completions", chat_completions, methods=["POST"]),
        Route("/embeddings", embeddings, methods=["POST"]),
        Route("/models", list_models, methods=["GET"]),
        Route("/deployments/{name}/predict", predict, methods=["POST"]),
    ])
