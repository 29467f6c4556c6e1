"""A dataset version's file as training data: features, target, and the held-out split.

CSV, Parquet and JSON Lines are read with polars (by the file's type, else its name). Features
must be numbers (booleans count as 0/1): the model is exported to ONNX and predicted with rows
of numbers, so a text column is refused rather than encoded in a way no caller could repeat.
Every refusal is a `TrainingError` whose message the run shows. polars and scikit-learn are
imported when a job first reads data, not when the server imports the task list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import polars as pl

FORMATS = {"csv": "csv", "parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}
MIN_ROWS = 4


class TrainingError(Exception):
    """The run cannot train on this input; the message says why, for the run's errorMessage."""


@dataclass(frozen=True)
class Split:
    features: list[str]
    x_train: np.ndarray
    x_validation: np.ndarray
    y_train: np.ndarray
    y_validation: np.ndarray


def file_format(file_type: str | None, filename: str) -> str:
    for candidate in ((file_type or "").lower().lstrip("."), Path(filename).suffix.lower()[1:]):
        if candidate in FORMATS:
            return FORMATS[candidate]
    raise TrainingError(f"cannot train on {filename!r}: a CSV, Parquet or JSON Lines file is "
                        "needed")


def read_table(source: Path | IO[bytes], fmt: str) -> pl.DataFrame:
    import polars as pl

    try:
        if fmt == "csv":
            return pl.read_csv(source, infer_schema_length=10_000)
        if fmt == "parquet":
            return pl.read_parquet(source)
        return pl.read_ndjson(source)
    except Exception as error:  # polars raises its own error types, one per problem
        raise TrainingError(f"the dataset file could not be read as {fmt.upper()}: "
                            f"{_first_line(error)}") from None


def columns(table: pl.DataFrame, target: str, chosen: Sequence[str] | None
            ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(features as float64, target, feature names), or a TrainingError naming the column."""
    import polars as pl

    known = table.columns
    if target not in known:
        raise TrainingError(f"the target column {target!r} is not in the dataset (its columns: "
                            f"{', '.join(known)})")
    features = list(chosen) if chosen else [c for c in known if c != target]
    missing = [c for c in features if c not in known]
    if missing:
        raise TrainingError(f"no column {', '.join(map(repr, missing))} in the dataset")
    if target in features:
        raise TrainingError(f"the target column {target!r} cannot be a feature too")
    if not features:
        raise TrainingError("the dataset has no column besides the target to train on")
    for name in features:
        dtype = table.schema[name]
        if not (dtype.is_numeric() or dtype == pl.Boolean):
            raise TrainingError(f"the feature column {name!r} holds {dtype} values: features must "
                                "be numbers (list the columns to use in hyperparameters."
                                "features, or convert this one first)")
    for name in [*features, target]:
        nulls = table[name].null_count()
        if nulls:
            raise TrainingError(f"the column {name!r} has {nulls} missing values: clean the "
                                "dataset first (drop or fill them)")
    if table.height < MIN_ROWS:
        raise TrainingError(f"the dataset has {table.height} rows: at least {MIN_ROWS} are "
                            "needed to train and validate")
    x = table.select(pl.col(features).cast(pl.Float64)).to_numpy()
    if not np.isfinite(x).all():
        raise TrainingError("the features hold infinite or NaN values: clean the dataset first")
    y = table[target].to_numpy()
    if len(np.unique(y)) < 2:
        raise TrainingError(f"the target column {target!r} has a single value: a classifier "
                            "needs at least two classes")
    return x, y, features


def split(x: np.ndarray, y: np.ndarray, features: list[str], *, validation_fraction: float,
          seed: int) -> Split:
    """The rows held out for validation, as `train_test_split` draws them with this seed."""
    from sklearn.model_selection import train_test_split

    x_train, x_validation, y_train, y_validation = train_test_split(
        x, y, test_size=validation_fraction, random_state=seed)
    if len(np.unique(y_train)) < 2:
        raise TrainingError("the training part holds a single class: use more rows or a "
                            "smaller validation_fraction")
    return Split(features, x_train, x_validation, y_train, y_validation)


def _first_line(error: Any) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
