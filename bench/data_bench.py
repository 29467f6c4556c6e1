#!/usr/bin/env python3
"""Data processing benchmark: profiling a 1,000,000-row CSV (the target: under 5 s), and the
other task types' work on the same file.

    python -m bench.data_bench [--rows 1000000] [--csv PATH] [--repeat 3]

(from the repository root, which puts `services` on the path).

The CSV (kept at `--csv`, written once for a row count and reused) has six columns: an id,
two integers, two floats (one with a missing value in every 97th row) and a text label of
four values; about 60 MB for a million rows.

Timed, wall and this process's CPU time, each `--repeat` times (best and median printed): what
a task's worker thread does between reading the file and storing its results
(services/dataprocessing/work.py `perform`): `profile` (one streaming pass: types, nulls,
distinct counts, min/max/mean/std and five quantiles per number), `clean` (drop duplicates),
`split` (stratified 80/10/10) and `convert` to Parquet, each writing into a temporary folder.
Printed too: the load average before and after (the machine is shared: wall time grows with
it), and the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from services.dataprocessing.configuration import parse
from services.dataprocessing.work import perform

TASKS = (("profile", {}), ("clean", {"dropDuplicates": True}),
         ("split", {"ratios": {"train": 0.8, "validation": 0.1, "test": 0.1}, "seed": 1,
                    "stratifyBy": "city"}),
         ("convert", {"format": "parquet"}))


def write_csv(path: Path, rows: int) -> None:
    rng = np.random.default_rng(16)
    frame = pl.DataFrame({
        "id": np.arange(rows), "age": rng.integers(18, 90, rows),
        "visits": rng.poisson(3, rows),
        "score": np.where(np.arange(rows) % 97 == 0, np.nan, rng.normal(50, 10, rows)),
        "amount": rng.lognormal(3, 1, rows),
        "city": rng.choice(["beijing", "shanghai", "shenzhen", "hangzhou"], rows)})
    frame.with_columns(pl.col("score").fill_nan(None)).write_csv(path)


def timed(task_type: str, configuration: dict, path: Path) -> tuple[float, float]:
    config = parse(task_type, configuration)
    with tempfile.TemporaryDirectory(prefix="data-bench-") as folder:
        wall, cpu = time.perf_counter(), time.process_time()
        perform(config, path, "csv", Path(folder))
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = args.csv or Path(tempfile.gettempdir()) / f"aiplatform-data-bench-{args.rows}.csv"
    if not path.exists():
        started = time.perf_counter()
        write_csv(path, args.rows)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
    load_before = os.getloadavg()[0]
    print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB CSV; polars {pl.__version__}"
          f", {pl.thread_pool_size()} threads; load average {load_before:.2f}")
    print("| task | wall s best / median | CPU s best / median |")
    print("|---|---:|---:|")
    for task_type, configuration in TASKS:
        runs = [timed(task_type, configuration, path) for _ in range(args.repeat)]
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        print(f"| {task_type} | {min(walls):.2f} / {statistics.median(walls):.2f} | "
              f"{min(cpus):.2f} / {statistics.median(cpus):.2f} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average {load_before:.2f} -> {os.getloadavg()[0]:.2f}; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
