"""A task's work on files, without the database: what `perform` reads, writes and logs for
cases the end-to-end tests do not reach."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from services.dataprocessing.configuration import parse
from services.dataprocessing.formats import DataError
from services.dataprocessing.work import perform


def run(tmp_path: Path, content: str, task_type: str, configuration: dict | None = None,
        filename: str = "data.csv"):
    source = tmp_path / filename
    source.write_text(content)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    return perform(parse(task_type, configuration or {}), source, "csv", out)


def test_types_that_change_late_are_inferred_from_all_rows(tmp_path: Path) -> None:
    content = "a\n" + "1\n" * 20_000 + "1.5\n"

    result = run(tmp_path, content, "profile")

    assert result.profile is not None
    [column] = result.profile["columns"]
    assert (column["type"], column["max"], result.profile["rows"]) == ("Float64", 1.5, 20_001)
    assert result.log[0] == ("column types inferred from all rows (the first 10000 did not fit "
                             "the rest)")


def test_a_header_only_file_profiles_as_empty(tmp_path: Path) -> None:
    result = run(tmp_path, "a,b\n", "profile")

    assert result.profile is not None
    assert result.profile["rows"] == 0
    assert [(c["name"], c["nulls"], c["distinct"]) for c in result.profile["columns"]] == [
        ("a", 0, 0), ("b", 0, 0)]


def test_fill_strategies_and_a_value_that_does_not_fit(tmp_path: Path) -> None:
    content = "n,t\n1,x\n,\n3,\n"

    result = run(tmp_path, content, "clean", {"fillNulls": {"n": {"strategy": "mean"},
                                                           "t": {"strategy": "forward"}},
                                             "dropDuplicates": False})
    with pytest.raises(DataError) as not_numeric:
        run(tmp_path, content, "clean", {"fillNulls": {"t": {"strategy": "median"}}})
    with pytest.raises(DataError) as not_a_number:
        run(tmp_path, content, "clean", {"fillNulls": {"n": "many"}})

    [output] = result.outputs
    assert pl.read_csv(output.path).rows() == [(1.0, "x"), (2.0, "x"), (3.0, "x")]
    assert str(not_numeric.value) == ("fillNulls.t: the median strategy needs a numeric "
                                      "column; 't' holds String")
    assert str(not_a_number.value) == "fillNulls.n: 'many' is not a value of 'n' (Int64)"


def test_a_split_without_stratification_skips_empty_parts(tmp_path: Path) -> None:
    content = "id\n" + "".join(f"{i}\n" for i in range(10))

    result = run(tmp_path, content, "split", {"ratios": {"train": 0.7, "test": 0.3},
                                              "seed": 3})

    parts = {o.part: pl.read_csv(o.path)["id"].to_list() for o in result.outputs}
    assert list(parts) == ["train", "test"]
    assert (len(parts["train"]), len(parts["test"])) == (7, 3)
    assert sorted(parts["train"] + parts["test"]) == list(range(10))
    assert parts["train"] == sorted(parts["train"])  # rows keep their order
