"""What the fields of datasets, their versions and data sources may hold (all problems at once).

Only the fields a mutation sends are checked, so an update never fails on an untouched field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resolvers.input_checks import Checks

NAME_MAX, LOCATION_MAX = 200, 2048
MAX_BIGINT, MAX_INT = 2**63 - 1, 2**31 - 1

Rules = dict[str, Callable[[Checks, Any], Any]]


def _optional_kind(c: Checks, field: str, value: str | None) -> str | None:
    return None if value is None else c.identifier(field, value)


DATASET: Rules = {
    "name": lambda c, v: c.name("name", v, NAME_MAX),
    "description": lambda c, v: c.text("description", v),
    "dataset_type": lambda c, v: c.identifier("datasetType", v),
    "format": lambda c, v: _optional_kind(c, "format", v),
    "storage_location": lambda c, v: c.text("storageLocation", v, LOCATION_MAX),
    "size_bytes": lambda c, v: c.int_range("sizeBytes", v, 0, MAX_BIGINT),
    "row_count": lambda c, v: c.int_range("rowCount", v, 0, MAX_INT),
    "schema_": lambda c, v: c.json_object("schema", v),
    "metadata_": lambda c, v: c.json_object("metadata", v),
    "tags": lambda c, v: c.tags("tags", v),
    "is_public": lambda c, v: v,
}

DATASET_VERSION: Rules = {
    "version": Checks.version,
    "changes_description": lambda c, v: c.text("changesDescription", v),
    "storage_location": DATASET["storage_location"],
    "size_bytes": DATASET["size_bytes"],
    "row_count": DATASET["row_count"],
    "metadata_": DATASET["metadata_"],
}

DATA_SOURCE: Rules = {
    "name": DATASET["name"],
    "description": DATASET["description"],
    "source_type": lambda c, v: c.identifier("sourceType", v),
    "schema_definition": lambda c, v: c.json_object("schemaDefinition", v),
    "tags": DATASET["tags"],
    "is_active": lambda c, v: v,
}

# GraphQL input names whose ORM attribute differs (the columns `schema` and `metadata`)
ATTRIBUTES = {"schema": "schema_", "metadata": "metadata_"}


def clean(c: Checks, rules: Rules, sent: dict[str, Any]) -> dict[str, Any]:
    """ORM attribute -> cleaned value, for the sent fields that `rules` covers."""
    values = {}
    for key, value in sent.items():
        attribute = ATTRIBUTES.get(key, key)
        if attribute in rules:
            values[attribute] = rules[attribute](c, value)
    return values
