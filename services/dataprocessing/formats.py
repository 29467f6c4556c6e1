"""The file formats a task reads and writes, told by the file's name, read lazily with polars.

A file polars cannot read (not CSV at all, a truncated Parquet file, a column the task names
that is not there) raises `DataError` with a message a person can act on: the task ends
FAILED with it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import polars as pl

CSV, JSONL, PARQUET = "csv", "jsonl", "parquet"
FORMATS = (CSV, JSONL, PARQUET)
SUFFIXES = {"csv": CSV, "jsonl": JSONL, "ndjson": JSONL, "parquet": PARQUET, "pq": PARQUET}
MIME_TYPES = {CSV: "text/csv", JSONL: "application/x-ndjson",
              PARQUET: "application/vnd.apache.parquet"}
MAX_MESSAGE = 500


class DataError(Exception):
    """The data cannot be processed as asked; the message says why, for the task's owner."""


def format_of(filename: str) -> str:
    suffix = PurePosixPath(filename.lower()).suffix.lstrip(".")
    if suffix not in SUFFIXES:
        raise DataError(f"cannot tell the format of {filename!r}: name the file .csv, .jsonl "
                        "or .parquet")
    return SUFFIXES[suffix]


INFER_ROWS = 10_000


def scan(path: Path, fmt: str, *, infer_from_all_rows: bool = False) -> pl.LazyFrame:
    """The file as a lazy frame: nothing is read until it is collected or sunk. CSV and JSONL
    column types are inferred from the first INFER_ROWS rows, or from all of them (another
    pass over the file) when asked."""
    rows = None if infer_from_all_rows else INFER_ROWS
    if fmt == CSV:
        return pl.scan_csv(path, infer_schema_length=rows)
    if fmt == JSONL:
        return pl.scan_ndjson(path, infer_schema_length=rows)
    return pl.scan_parquet(path)


def sink(frame: pl.LazyFrame | pl.DataFrame, path: Path, fmt: str) -> None:
    """Write the frame; a lazy one streams to the file without being held in memory."""
    lazy = frame.lazy()
    if fmt == CSV:
        lazy.sink_csv(path)
    elif fmt == JSONL:
        lazy.sink_ndjson(path)
    else:
        lazy.sink_parquet(path)


def count_rows(path: Path, fmt: str) -> int:
    """Rows of a written file (Parquet answers from its footer)."""
    return int(scan(path, fmt).select(pl.len()).collect().item())


def readable(error: Exception, fmt: str) -> DataError:
    """A polars error as a message for the task's owner (its first line, bounded)."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return DataError(f"the file could not be read as {fmt.upper()}: {first}"[:MAX_MESSAGE])
