"""What the planner computes itself, and what it leaves to strawberry (read off the schema)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import strawberry

from db.loaders.identity import MEMBERSHIPS_BY_ORGANIZATION
from graphql_schema.identity.types import Organization, User
from graphql_schema.planner.catalog import (
    Column,
    GlobalId,
    RootNode,
    ToMany,
    ToOne,
    field_spec,
    strawberry_field,
)
from graphql_schema.relations import declaration
from graphql_schema.schema import build_schema
from services.settings import Settings


@pytest.fixture(scope="module")
def schema() -> Any:
    return build_schema(Settings(database_url="postgresql://unused/x", redis_url="redis://x"))


def spec(schema: Any, type_name: str, field_name: str) -> Any:
    graphql_type = schema._schema.type_map[type_name]
    return field_spec(schema.get_type_by_name(type_name),
                      strawberry_field(graphql_type.fields[field_name]))


def test_columns_ids_and_declared_relations_are_plannable(schema: Any) -> None:
    assert spec(schema, "Organization", "name") == Column("name", redact=False)
    assert spec(schema, "AiModel", "config") == Column("config", redact=True)
    assert spec(schema, "User", "id") == GlobalId()
    assert spec(schema, "Membership", "user") == ToOne(User, "user_id")
    members = spec(schema, "Organization", "members")
    assert isinstance(members, ToMany) and members.per_parent
    assert members.relation is MEMBERSHIPS_BY_ORGANIZATION
    assert spec(schema, "Query", "nodes") == RootNode(many=True)
    assert isinstance(spec(schema, "Query", "organizations"), ToMany)


def test_resolvers_with_logic_of_their_own_are_not(schema: Any) -> None:
    # a condition before the loader call, a computed value, storage access, the caller itself
    assert spec(schema, "ApplicationComponent", "deployment") is None
    assert spec(schema, "KnowledgeDocument", "status") is None
    assert spec(schema, "File", "downloadUrl") is None
    assert spec(schema, "Query", "viewer") is None
    assert spec(schema, "Query", "search") is None


def test_a_permission_class_or_an_extension_makes_a_field_unplannable() -> None:
    class Never(strawberry.BasePermission):
        message = "no"

        def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
            return False

    definition = Organization.__strawberry_definition__  # type: ignore[attr-defined]
    name = next(f for f in definition.fields if f.python_name == "name")
    assert field_spec(definition, name) == Column("name", redact=False)
    guarded = copy.copy(name)  # the same column, declared with a permission class
    guarded.permission_classes = [Never]
    assert field_spec(definition, guarded) is None
    extended = copy.copy(name)
    extended.extensions = [object()]  # type: ignore[list-item]
    assert field_spec(definition, extended) is None


def test_a_relation_is_plannable_by_its_declaration_not_its_code(schema: Any) -> None:
    definition = schema.get_type_by_name("Membership")
    user = next(f for f in definition.fields if f.python_name == "user")
    assert field_spec(definition, user) == ToOne(User, "user_id")
    undeclared = copy.copy(user)  # the very same resolver, without its declaration
    undeclared.metadata = {}
    assert field_spec(definition, undeclared) is None


def test_every_relation_declared_over_plain_nodes_is_plannable(schema: Any) -> None:
    # a declaration the catalog turned down (an unknown key, a node built another way) would
    # quietly send every query using it back to strawberry
    declared = [
        (type_name, field_name) for type_name, graphql_type in schema._schema.type_map.items()
        if not type_name.startswith("__") and hasattr(graphql_type, "fields")
        for field_name, graphql_field in graphql_type.fields.items()
        if declaration(strawberry_field(graphql_field)) is not None
    ]
    assert len(declared) >= 95  # every relation field of the schema when this was written
    unplannable = [(t, f) for t, f in declared
                   if not isinstance(spec(schema, t, f), ToOne | ToMany)]
    # SystemSetting builds its nodes itself (it keeps whether a value is set before redacting)
    assert unplannable == [("Query", "systemSettings")]
