"""The retrieval set: Chinese and English passages about the platform's domains (EV charging,
CAN logs, model training, datasets, deployments, ops troubleshooting), each with a paraphrased
question in its own language and one in the other (data/retrieval_{zh,en}.tsv: domain,
passage, question, cross-lingual question). Every question is asked of all passages at once,
as a collection holding both languages would be.

Used by tests/knowledge/test_retrieval_quality.py and bench/embed_bench.py.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Item:
    language: str  # of the passage and of `question`
    domain: str
    passage: str
    question: str
    cross_question: str  # the same question in the other language


@dataclass(frozen=True, slots=True)
class Recall:
    at_1: float
    at_5: float
    questions: int


def load() -> list[Item]:
    items = []
    for language in ("zh", "en"):
        for line in (DATA / f"retrieval_{language}.tsv").read_text("utf-8").splitlines():
            if line.strip():
                domain, passage, question, cross = line.split("\t")
                items.append(Item(language, domain, passage, question, cross))
    return items


@dataclass
class Evaluation:
    """One model's vectors for the whole set, and the recalls they give."""

    items: list[Item]
    passages: Any  # (n, d) unit vectors
    questions: Any
    cross_questions: Any

    @classmethod
    def of(cls, model: Any, items: list[Item], *, cross: bool = True) -> Evaluation:
        """`cross`: also embed the cross-lingual questions (else `recall(cross=True)` fails)."""
        def vectors(texts: list[str], query: bool) -> Any:
            return np.asarray(model.embed(texts, query=query), dtype=np.float32)

        return cls(items, vectors([i.passage for i in items], False),
                   vectors([i.question for i in items], True),
                   vectors([i.cross_question for i in items], True) if cross else None)

    def recall(self, *, language: str, cross: bool = False, mixed: bool = True) -> Recall:
        """Of the questions about `language` passages (asked in the other language when
        `cross`), how often the passage asked about is first, and among the first five; among
        all passages (`mixed`, a collection of both languages) or those of `language` only."""
        chosen = [n for n, i in enumerate(self.items) if i.language == language]
        pool = np.array([n for n, i in enumerate(self.items) if mixed or i.language == language])
        asked = (self.cross_questions if cross else self.questions)[chosen]
        ranks = pool[np.argsort(-(asked @ self.passages[pool].T), axis=1)]
        at_1 = sum(int(r[0] == n) for r, n in zip(ranks, chosen, strict=True))
        at_5 = sum(int(n in r[:5]) for r, n in zip(ranks, chosen, strict=True))
        return Recall(at_1 / len(chosen), at_5 / len(chosen), len(chosen))

    def baseline(self) -> float:
        """The median cosine similarity of a question and a passage it is not about."""
        scores = self.questions @ self.passages.T
        mask = ~np.eye(len(self.items), dtype=bool)
        return float(statistics.median(scores[mask].tolist()))

    def matched_median(self) -> float:
        """The median cosine similarity of a question and its own passage."""
        return float(np.median(np.sum(self.questions * self.passages, axis=1)))
