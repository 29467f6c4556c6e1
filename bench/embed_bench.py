"""The offline embedding models measured: retrieval quality on the retrieval set
(tests/knowledge/retrieval_set.py) and embedding speed on chunks of 1,000 characters.

    python bench/embed_bench.py [--threads N] [--chunks 64] [--models multilingual-e5-small,...]

Quality: recall@1 and @5 of each question among all 212 passages (Chinese and English mixed,
as one collection holding both), and cross-lingual questions among the passages of the other
language (a Chinese collection asked in English, and the reverse); the median relevance score
(services/embeddings/scale.py) of matching and of unrelated pairs. Speed: chunks of 1,000
characters per second (the chunker's default size, Chinese and English, embedded as the worker
does, in batches) and the latency of one question. `--threads` sets OMP_NUM_THREADS for e5's
engine (default: every core). The load average is printed beside the figures: other processes
on the machine slow every figure down.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def chunks_of(items: list, language: str, count: int) -> list[str]:
    from services.knowledge.text import chunk_text

    text = "\n\n".join(i.passage for i in items if i.language == language)
    pieces = [c for c in chunk_text(text * 8, 1000, 0) if len(c) >= 900]
    return (pieces * (count // max(len(pieces), 1) + 1))[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--chunks", type=int, default=64)
    parser.add_argument("--models", default="multilingual-e5-small,all-MiniLM-L6-v2")
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)

    from services.embeddings import EmbeddingsUnavailable, local_model, relevance
    from services.embeddings.local import BASELINES
    from tests.knowledge.retrieval_set import Evaluation, load

    items = load()
    print(f"retrieval set: {len(items)} passages "
          f"({sum(i.language == 'zh' for i in items)} zh), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    for name in args.models.split(","):
        try:
            model = local_model(name)
        except EmbeddingsUnavailable as missing:
            print(f"{name}: {missing}")
            continue
        evaluation = Evaluation.of(model, items)
        print(f"\n{name} (threads: {os.environ.get('OMP_NUM_THREADS', 'all')})")
        for label, language, cross, mixed in (
                ("zh question, mixed collection", "zh", False, True),
                ("en question, mixed collection", "en", False, True),
                ("en question, zh collection", "zh", True, False),
                ("zh question, en collection", "en", True, False),
                ("en question for a zh passage, mixed", "zh", True, True),
                ("zh question for an en passage, mixed", "en", True, True)):
            r = evaluation.recall(language=language, cross=cross, mixed=mixed)
            print(f"  {label:38} recall@1 {r.at_1:.3f}  @5 {r.at_5:.3f}  ({r.questions})")
        baseline = BASELINES[name]
        print(f"  relevance: matching pairs {relevance(evaluation.matched_median(), baseline):.2f}"
              f", unrelated {relevance(evaluation.baseline(), baseline):.2f} (median cosine of "
              f"unrelated pairs {evaluation.baseline():.3f}, baseline {baseline})")
        for language in ("zh", "en"):
            chunks = chunks_of(items, language, args.chunks)
            model.embed(chunks[:2])
            started = time.perf_counter()
            model.embed(chunks)
            seconds = time.perf_counter() - started
            print(f"  {language} chunks of 1,000 characters: {len(chunks) / seconds:.1f}/s "
                  f"(load average {os.getloadavg()[0]:.1f})")
        latencies = []
        for item in items[:30]:
            started = time.perf_counter()
            model.embed([item.question], query=True)
            latencies.append((time.perf_counter() - started) * 1000)
        print(f"  one question: p50 {statistics.median(latencies):.0f} ms")


if __name__ == "__main__":
    main()
