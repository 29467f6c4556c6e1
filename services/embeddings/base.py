"""What an embedder is: texts in, one vector per text out, and its readable failures.

Collections pick their embedder (services/embeddings/collections.py): an offline model
(services/embeddings/local.py), or an AI model of the organization served by an
OpenAI-compatible `/embeddings` endpoint.
"""

from __future__ import annotations

from typing import Protocol


class EmbeddingError(RuntimeError):
    """Texts could not be embedded; `str()` is readable and never contains a key."""


class EmbeddingsUnavailable(EmbeddingError):
    """An offline model is not installed; the message names the one command that fixes it."""


class Embedder(Protocol):
    name: str
    # the cosine similarity an unrelated question/passage pair typically gets from this model:
    # scores are measured from it (services/embeddings/scale.py)
    baseline: float

    async def embed(self, texts: list[str], *, query: bool = False) -> list[list[float]]:
        """One vector per text, in order; `query` for a question, else passages (models
        trained with prefixes embed the two differently). Raises EmbeddingError."""
        ...


def check_dimensions(vectors: list[list[float]], expected: int, model: str) -> None:
    """Vectors must fit the collection they go into (its store was sized for `expected`)."""
    for vector in vectors:
        if len(vector) != expected:
            raise EmbeddingError(
                f"The embedding model {model} returned {len(vector)}-dimensional vectors, but "
                f"this collection holds {expected}-dimensional ones: set the model's "
                f"config.dimensions to {expected}, or use a collection made for this model")
