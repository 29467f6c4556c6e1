"""One relevance scale for every embedding model, so `minScore` means the same whichever model
a collection uses.

Raw cosine similarities are not comparable across models: multilingual-e5-small gives an
unrelated question/passage pair about 0.79, all-MiniLM-L6-v2 about 0.05. Each model's
`baseline` is that typical unrelated similarity (the median over the retrieval set's
mismatched pairs), and a hit's score is its cosine similarity rescaled so that the baseline
becomes 0 and identical directions stay 1:

    score = (cosine - baseline) / (1 - baseline)

A score of 0.5 is half-way from "unrelated" to "the same text"; below 0 is less similar than
unrelated text usually is. Models served over HTTP have no measured baseline (0): their
scores are plain cosine similarities.
"""

from __future__ import annotations


def relevance(cosine: float, baseline: float) -> float:
    """A store's cosine similarity on the shared scale."""
    return (cosine - baseline) / (1.0 - baseline)


def cosine_threshold(min_score: float, baseline: float) -> float:
    """The cosine similarity a store must reach for a hit to score at least `min_score`."""
    return baseline + min_score * (1.0 - baseline)
