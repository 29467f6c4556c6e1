"""The four operations on polars frames, free of storage and database: each returns what it
made and the lines it adds to the task's `execution_logs`.

`profile` and `convert` stream (the file is read in batches, never held whole); `clean` and
`split` hold the data in memory, because they count what each step removed and shuffle rows.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from services.dataprocessing.configuration import PARTS, Clean, Split
from services.dataprocessing.formats import DataError

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_SEP = "\x1f"  # joins a column name and a statistic in the one-row answer of `profile`
_KEY, _RANK = "__split_key", "__split_rank"


def require_columns(frame: pl.LazyFrame | pl.DataFrame, names: list[str]) -> None:
    present = frame.collect_schema().names()
    missing = [n for n in names if n not in present]
    if missing:
        raise DataError(f"no column {', '.join(map(repr, missing))} in the data "
                        f"(its columns: {', '.join(present)})")


def profile(frame: pl.LazyFrame) -> dict[str, Any]:
    """Rows; per column its type, nulls and distinct non-null values; for numbers also min,
    max, mean, std (sample, n - 1) and quantiles (linear interpolation, as numpy's
    percentile). All in one streaming pass over the file."""
    schema = frame.collect_schema()
    exprs: list[pl.Expr] = [pl.len().alias("rows")]
    numeric = [name for name, dtype in schema.items() if dtype.is_numeric()]
    for name in schema.names():
        col = pl.col(name)
        exprs += [col.null_count().alias(f"{name}{_SEP}nulls"),
                  col.drop_nulls().n_unique().alias(f"{name}{_SEP}distinct")]
        if name in numeric:
            values = col.cast(pl.Float64)
            exprs += [values.min().alias(f"{name}{_SEP}min"),
                      values.max().alias(f"{name}{_SEP}max"),
                      values.mean().alias(f"{name}{_SEP}mean"),
                      values.std().alias(f"{name}{_SEP}std")]
            exprs += [values.quantile(q, interpolation="linear").alias(f"{name}{_SEP}q{q}")
                      for q in QUANTILES]
    row = frame.select(exprs).collect(engine="streaming").row(0, named=True)
    columns = []
    for name, dtype in schema.items():
        stats = {"name": name, "type": str(dtype), "kind": _kind(dtype),
                 "nulls": row[f"{name}{_SEP}nulls"], "distinct": row[f"{name}{_SEP}distinct"]}
        if name in numeric:
            stats.update({s: _finite(row[f"{name}{_SEP}{s}"])
                          for s in ("min", "max", "mean", "std")})
            stats["quantiles"] = {str(q): _finite(row[f"{name}{_SEP}q{q}"]) for q in QUANTILES}
        columns.append(stats)
    return {"rows": row["rows"], "columnCount": len(columns), "columns": columns}


def _kind(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "float"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_temporal():
        return "temporal"
    if dtype in (pl.String, pl.Categorical, pl.Enum):
        return "text"
    return "other"


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: those become null."""
    return value if value is not None and value == value and abs(value) != float("inf") \
        else None


def clean(frame: pl.DataFrame, config: Clean) -> tuple[pl.DataFrame, list[str]]:
    """Fill nulls, then drop rows with nulls, then drop duplicates (keeping the first of
    each, in the original order), as configured."""
    log = [f"read {frame.height} rows, {frame.width} columns"]
    require_columns(frame, [*config.fill_nulls, *(config.duplicate_columns or []),
                            *(config.drop_nulls if isinstance(config.drop_nulls, list) else [])])
    for column, value in config.fill_nulls.items():
        nulls = frame[column].null_count()
        frame = frame.with_columns(_filled(frame, column, value))
        log.append(f"filled {nulls} nulls in {column!r} with "
                   f"{value['strategy'] if isinstance(value, dict) else repr(value)}")
    if config.drop_nulls:
        subset = config.drop_nulls if isinstance(config.drop_nulls, list) else None
        before = frame.height
        frame = frame.drop_nulls(subset)
        where = "any column" if subset is None else ", ".join(map(repr, subset))
        log.append(f"dropped {before - frame.height} rows with a null in {where}")
    if config.drop_duplicates:
        before = frame.height
        frame = frame.unique(subset=config.duplicate_columns, keep="first", maintain_order=True)
        log.append(f"dropped {before - frame.height} duplicate rows")
    log.append(f"{frame.height} rows remain")
    return frame, log


def _filled(frame: pl.DataFrame, column: str, value: Any) -> pl.Expr:
    col, dtype = pl.col(column), frame.schema[column]
    if isinstance(value, dict):
        strategy = value["strategy"]
        if strategy in ("mean", "median", "min", "max", "zero") and not dtype.is_numeric():
            raise DataError(f"fillNulls.{column}: the {strategy} strategy needs a numeric "
                            f"column; {column!r} holds {dtype}")
        if strategy == "median":
            return col.fill_null(col.median()).cast(dtype if dtype.is_integer() else pl.Float64)
        return col.fill_null(strategy=strategy)
    try:
        literal = pl.Series([value]).cast(dtype, strict=True)[0]
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        raise DataError(f"fillNulls.{column}: {value!r} is not a value of {column!r} "
                        f"({dtype})") from None
    return col.fill_null(pl.lit(literal, dtype=dtype))


def split(frame: pl.DataFrame, config: Split) -> tuple[dict[str, pl.DataFrame], list[str]]:
    """Rows shuffled by the seed and cut by the ratios; with `stratifyBy`, each value of that
    column is cut on its own, so every part keeps the column's proportions. Parts keep the
    rows' original order. Parts whose ratio is 0 are not made."""
    log = [f"read {frame.height} rows, {frame.width} columns"]
    if config.stratify_by is not None:
        require_columns(frame, [config.stratify_by])
    keyed = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).shuffle(seed=config.seed).alias(_KEY))
    group = [config.stratify_by] if config.stratify_by else None
    rank = pl.col(_KEY).rank("ordinal") - 1
    size = pl.len()
    if group is not None:
        rank, size = rank.over(group), size.over(group)
    keyed = keyed.with_columns(rank.alias(_RANK), size.cast(pl.Float64).alias("__n"))
    parts, start = {}, 0.0
    for part in PARTS:
        ratio = config.ratios.get(part, 0.0)
        if ratio <= 0:
            continue
        end = start + ratio
        upper = pl.lit(True) if part == _last(config) else pl.col(_RANK) < (
            pl.col("__n") * end).round()
        chosen = keyed.filter((pl.col(_RANK) >= (pl.col("__n") * start).round()) & upper)
        parts[part] = chosen.drop(_KEY, _RANK, "__n")
        start = end
    sizes = ", ".join(f"{p} {f.height}" for p, f in parts.items())
    how = f"stratified by {config.stratify_by!r}" if config.stratify_by else "not stratified"
    log.append(f"split with seed {config.seed}, {how}: {sizes}")
    return parts, log


def _last(config: Split) -> str:
    return [p for p in PARTS if config.ratios.get(p, 0.0) > 0][-1]
