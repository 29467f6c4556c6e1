#!/usr/bin/env python3
"""Chinese word segmenters side by side: rjieba (what db/search_text.py uses) and jieba.

    .venv/bin/python bench/segmenters.py [--texts 5000]

jieba is no dependency of the project: `pip install jieba` to include it (it is skipped when
absent). Prints, for each: the first cut's cost (loading the dictionary), millions of
characters cut per second in precise mode with the HMM for unknown words (as the index cuts),
and whether its words are the same as rjieba's on the sample.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable

SAMPLE = ("充电桩在模型训练期间出现故障，工程师检查了GPU集群和电源模块，"
          "发现充电功率不足导致训练中断。我们需要更换直流快充设备并更新固件版本。")


def measure(name: str, load: Callable[[], Callable[[str], list[str]]], texts: list[str]
            ) -> list[str]:
    began = time.perf_counter()
    cut = load()
    cut("预热")
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    for text in texts:
        cut(text)
    spent = time.perf_counter() - began
    chars = sum(map(len, texts))
    print(f"| {name} | {loaded:.2f} s | {chars / spent / 1e6:.2f} M chars/s | "
          f"{spent / len(texts) * 1e6:.0f} µs per {len(SAMPLE)}-character text |")
    return cut(SAMPLE)


def rjieba_cut() -> Callable[[str], list[str]]:
    import rjieba

    return lambda text: rjieba.cut(text, True)


def jieba_cut() -> Callable[[str], list[str]]:
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return lambda text: list(jieba.cut(text, HMM=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    args = parser.parse_args()
    texts = [SAMPLE[i % 40:] + SAMPLE[:i % 40] for i in range(args.texts)]
    print("| segmenter | first cut (dictionary) | speed | per text |")
    print("|---|---:|---:|---:|")
    words = measure("rjieba 0.2 (jieba-rs)", rjieba_cut, texts)
    if importlib.util.find_spec("jieba") is not None:
        same = measure("jieba 0.42 (pure Python)", jieba_cut, texts) == words
        print(f"\njieba's words {'equal' if same else 'differ from'} rjieba's on the sample")
    else:
        print("\njieba is not installed: `pip install jieba` to compare")


if __name__ == "__main__":
    main()
