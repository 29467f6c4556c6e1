"""One task's work on its source file, in a worker thread: read, run the operation, write the
results into the task's folder. Returns what the job records: a profile, or the written files,
and the lines of the execution log."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from services.dataprocessing import operations
from services.dataprocessing.configuration import (
    Clean,
    Configuration,
    Convert,
    Profile,
    Split,
)
from services.dataprocessing.formats import (
    INFER_ROWS,
    PARQUET,
    DataError,
    count_rows,
    readable,
    scan,
    sink,
)


@dataclass(frozen=True)
class Output:
    """A file written for a new dataset version."""

    path: Path
    format: str
    rows: int
    part: str | None = None  # split: train, validation or test


@dataclass
class Result:
    log: list[str] = field(default_factory=list)
    profile: dict[str, Any] | None = None
    outputs: list[Output] = field(default_factory=list)


def perform(config: Configuration, source: Path, fmt: str, folder: Path) -> Result:
    """Raises DataError for data that cannot be processed as configured. A text file whose
    column types change after the rows they were inferred from (a float after 10,000
    integers) is read again with types inferred from all its rows."""
    try:
        try:
            return _perform(config, source, fmt, folder, infer_from_all_rows=False)
        except pl.exceptions.ComputeError:
            if fmt == PARQUET:
                raise
        result = _perform(config, source, fmt, folder, infer_from_all_rows=True)
        result.log.insert(0, f"column types inferred from all rows (the first {INFER_ROWS} "
                             "did not fit the rest)")
        return result
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise readable(error, fmt) from None


def _perform(config: Configuration, source: Path, fmt: str, folder: Path, *,
             infer_from_all_rows: bool) -> Result:
    frame = scan(source, fmt, infer_from_all_rows=infer_from_all_rows)
    if isinstance(config, Profile):
        profile = operations.profile(frame)
        return Result([f"profiled {profile['rows']} rows, {profile['columnCount']} columns "
                       f"({fmt})"], profile=profile)
    if isinstance(config, Convert):
        out = folder / f"converted.{config.format}"
        sink(frame, out, config.format)
        rows = count_rows(out, config.format)
        return Result([f"converted {rows} rows from {fmt} to {config.format}"],
                      outputs=[Output(out, config.format, rows)])
    data = frame.collect(engine="streaming")
    target = config.format or fmt
    if isinstance(config, Clean):
        cleaned, log = operations.clean(data, config)
        out = folder / f"clean.{target}"
        sink(cleaned, out, target)
        return Result([*log, f"wrote {cleaned.height} rows as {target}"],
                      outputs=[Output(out, target, cleaned.height)])
    assert isinstance(config, Split)
    parts, log = operations.split(data, config)
    outputs = []
    for part, rows in parts.items():
        out = folder / f"{part}.{target}"
        sink(rows, out, target)
        outputs.append(Output(out, target, rows.height, part))
    return Result([*log, f"wrote {len(outputs)} parts as {target}"], outputs=outputs)
