"""What each task type's `configuration` may hold, checked when the task is created, so a
mistake is a userError then and not a failure later (docs/data-processing.md lists the keys).

Names of columns cannot be checked before the file is read: a column that is not there ends
the task FAILED with a message naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from services.dataprocessing.formats import FORMATS

PROFILE, CLEAN, SPLIT, CONVERT = "profile", "clean", "split", "convert"
TASK_TYPES = (PROFILE, CLEAN, SPLIT, CONVERT)
PARTS = ("train", "validation", "test")
FILL_STRATEGIES = ("mean", "median", "min", "max", "zero", "forward", "backward")
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Profile:
    pass


@dataclass(frozen=True)
class Clean:
    drop_duplicates: bool = True
    duplicate_columns: list[str] | None = None  # None: a duplicate is a whole repeated row
    drop_nulls: bool | list[str] = False  # True: a null in any column drops the row
    fill_nulls: dict[str, Any] = field(default_factory=dict)  # column -> value or {strategy}
    format: str | None = None  # None: the source's


@dataclass(frozen=True)
class Split:
    ratios: dict[str, float]
    seed: int = 0
    stratify_by: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class Convert:
    format: str


Configuration = Profile | Clean | Split | Convert


class ConfigurationError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def parse(task_type: str, configuration: dict[str, Any]) -> Configuration:
    """The task's settings; ConfigurationError lists every problem (`key: what is wrong`)."""
    problems: list[str] = []
    parser = _PARSERS[task_type]
    allowed = _KEYS[task_type]
    problems += [f"{key}: not a setting of a {task_type} task (settings: "
                 f"{', '.join(allowed) or 'none'})" for key in configuration if key not in allowed]
    parsed = parser(configuration, problems)
    if problems:
        raise ConfigurationError(problems)
    return parsed


def _profile(c: dict[str, Any], problems: list[str]) -> Profile:
    return Profile()


def _clean(c: dict[str, Any], problems: list[str]) -> Clean:
    drop_duplicates = _bool(c, "dropDuplicates", True, problems)
    columns = _columns(c, "duplicateColumns", problems) if "duplicateColumns" in c else None
    drop_nulls: bool | list[str] = False
    if isinstance(c.get("dropNulls"), list):
        drop_nulls = _columns(c, "dropNulls", problems)
    elif "dropNulls" in c:
        drop_nulls = _bool(c, "dropNulls", False, problems, "true, false or a list of columns")
    fill = c.get("fillNulls", {})
    if not isinstance(fill, dict):
        problems.append("fillNulls: an object of column -> value or {\"strategy\": ...}")
        fill = {}
    for column, value in fill.items():
        if isinstance(value, dict):
            if set(value) != {"strategy"} or value["strategy"] not in FILL_STRATEGIES:
                problems.append(f"fillNulls.{column}: a strategy is {{\"strategy\": one of "
                                f"{', '.join(FILL_STRATEGIES)}}}")
        elif value is None or isinstance(value, list):
            problems.append(f"fillNulls.{column}: a number, text, true or false")
    if not drop_duplicates and not drop_nulls and not fill:
        problems.append("clean: nothing to do (set dropDuplicates, dropNulls or fillNulls)")
    return Clean(drop_duplicates, columns, drop_nulls, fill, _format(c, problems, None))


def _split(c: dict[str, Any], problems: list[str]) -> Split:
    ratios = c.get("ratios", {"train": 0.8, "validation": 0.1, "test": 0.1})
    if not isinstance(ratios, dict) or not ratios or set(ratios) - set(PARTS):
        problems.append(f"ratios: an object with some of {', '.join(PARTS)} as keys")
        ratios = {}
    elif not all(_number(v) and 0 <= v <= 1 for v in ratios.values()):
        problems.append("ratios: each ratio is a number from 0 to 1")
    elif not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-6):
        problems.append(f"ratios: they add up to {sum(ratios.values()):g}, not 1")
    seed = c.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        problems.append(f"seed: a whole number from 0 to {MAX_SEED}")
        seed = 0
    stratify = c.get("stratifyBy")
    if stratify is not None and (not isinstance(stratify, str) or not stratify):
        problems.append("stratifyBy: the name of a column")
    return Split({k: float(v) for k, v in ratios.items() if _number(v)}, seed, stratify,
                 _format(c, problems, None))


def _convert(c: dict[str, Any], problems: list[str]) -> Convert:
    if "format" not in c:
        problems.append(f"format: required, one of {', '.join(FORMATS)}")
        return Convert(FORMATS[0])
    return Convert(_format(c, problems, FORMATS[0]) or FORMATS[0])


def _format(c: dict[str, Any], problems: list[str], default: str | None) -> str | None:
    value = c.get("format", default)
    if value is not None and value not in FORMATS:
        problems.append(f"format: one of {', '.join(FORMATS)}")
        return default
    return value  # type: ignore[no-any-return]


def _bool(c: dict[str, Any], key: str, default: bool, problems: list[str],
          expected: str = "true or false") -> bool:
    value = c.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"{key}: {expected}")
        return default
    return value


def _columns(c: dict[str, Any], key: str, problems: list[str]) -> list[str]:
    value = c[key]
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v for v in value):
        problems.append(f"{key}: a list of column names")
        return []
    return list(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_PARSERS = {PROFILE: _profile, CLEAN: _clean, SPLIT: _split, CONVERT: _convert}
_KEYS: dict[str, tuple[str, ...]] = {
    PROFILE: (),
    CLEAN: ("dropDuplicates", "duplicateColumns", "dropNulls", "fillNulls", "format"),
    SPLIT: ("ratios", "seed", "stratifyBy", "format"),
    CONVERT: ("format",),
}
