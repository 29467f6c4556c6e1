"""Data processing tasks run by the worker tier (docs/data-processing.md): `profile`, `clean`,
`split` and `convert` over a dataset version's file (CSV, JSONL or Parquet), with polars.

`configuration.py` checks a task's settings when it is created; `operations.py` does the
work on frames; `job.py` takes a task from its row to its results.
"""
