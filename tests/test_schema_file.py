"""schema.graphql is the contract: it must be exactly what the code builds."""

from pathlib import Path

from app.cli import export_schema_text

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_is_up_to_date() -> None:
    expected = export_schema_text()
    actual = SCHEMA_FILE.read_text()
    assert actual == expected, "schema.graphql is stale: run `aiplatform export-schema`"
