"""What an embedder is: texts in, one vector per text out, and its readable failures.

Collections pick their embedder (services/embeddings/collections.py): the offline MiniLM, or an
AI model of the organization served by an OpenAI-compatible `/embeddings` endpoint.
"""

from __future__ import annotations

from typing import Protocol


class EmbeddingError(RuntimeError):
    """Texts could not be embedded; `str()` is readable and never contains a key."""


class Embedder(Protocol):
    name: str

    async def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order; raises EmbeddingError."""
        ...


def check_dimensions(vectors: list[list[float]], expected: int, model: str) -> None:
    """Vectors must fit the collection they go into (its store was sized for `expected`)."""
    for vector in vectors:
        if len(vector) != expected:
            raise EmbeddingError(
                f"The embedding model {model} returned {len(vector)}-dimensional vectors, but "
                f"this collection holds {expected}-dimensional ones: set the model's "
                f"config.dimensions to {expected}, or use a collection made for this model")
