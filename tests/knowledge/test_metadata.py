"""A document's metadata: its shape, and the language rule applied at ingestion."""

from __future__ import annotations

import pytest

from services.knowledge.metadata import detect_language, metadata_problem, with_language

CHINESE = "\u7535\u6c60\u7ba1\u7406\u7cfb\u7edf\u9650\u5236\u5145\u7535\u7535\u6d41"  # 12 Han


@pytest.mark.parametrize(("text", "language"), [
    (CHINESE, "zh"),
    (f"{CHINESE} BMS OTA CAN", "zh"),  # Chinese quoting a few English terms stays Chinese
    ("The battery management system limits the charging current.", "en"),
    (f"The {CHINESE[:2]} menu item opens the battery settings of the charger app.", "en"),
    ("12345 -- 678", None),
])
def test_the_language_follows_the_share_of_han_characters(text, language) -> None:
    assert detect_language(text) == language


def test_a_given_language_is_kept_and_a_missing_one_detected() -> None:
    assert with_language({"language": "en", "tags": ["a"]}, CHINESE) == {
        "language": "en", "tags": ["a"]}
    assert with_language({"category": "charging"}, CHINESE) == {
        "category": "charging", "language": "zh"}
    assert with_language(None, "1234") == {}


@pytest.mark.parametrize(("metadata", "problem"), [
    ({"source": "manual", "tags": ["a", "b"], "pages": 3, "public": True, "owners": ["x"]},
     None),
    ([], "metadata must be an object"),
    ({"tags": "a"}, "metadata.tags must be a list of strings"),
    ({"tags": [1]}, "metadata.tags must be a list of strings"),
    ({"version": 2}, "metadata.version must be a string"),
    ({"extra": {"nested": 1}},
     "metadata.extra must be a string, a number, a boolean or a list of strings"),
])
def test_metadata_has_the_documented_shape(metadata, problem) -> None:
    assert metadata_problem(metadata) == problem
