"""Every query document of the test suite gives the same answer through both paths.

The documents are the string constants of `tests/**.py` that parse as a query operation and
validate; their variables get values made from their types (global IDs from the worlds, so a
`node(id:)` finds something, or not, depending on the caller).
"""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    type_from_ast,
    validate,
)

from db.scope import Principal
from tests.planner.conftest import Paths

TESTS = Path(__file__).parent.parent
SCALARS: dict[str, Any] = {"Int": 2, "Float": 0.5, "String": "a", "Boolean": True,
                           "DateTime": "2020-01-01T00:00:00+00:00"}


class NoValue(Exception):
    """A required variable of a type this test cannot make up (an upload, JSON)."""


def suite_documents(schema: GraphQLSchema) -> list[tuple[str, str | None]]:
    """(document, operation name) of every query operation in the suite's modules."""
    found: dict[tuple[str, str | None], None] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if path.parent.name == "planner":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and "{" in node.value):
                continue
            try:
                document = parse(node.value)
            except GraphQLError:
                continue
            if validate(schema, document):
                continue
            for definition in document.definitions:
                if (isinstance(definition, OperationDefinitionNode)
                        and definition.operation is OperationType.QUERY):
                    name = definition.name.value if definition.name else None
                    found[node.value, name] = None
    return list(found)


def variables_for(schema: GraphQLSchema, text: str, operation: str | None, ids: list[str],
                  rng: random.Random) -> dict[str, Any]:
    for definition in parse(text).definitions:
        if (isinstance(definition, OperationDefinitionNode)
                and (definition.name.value if definition.name else None) == operation):
            return {d.variable.name.value: value_of(type_from_ast(schema, d.type), ids, rng)
                    for d in definition.variable_definitions or ()}
    raise AssertionError(operation)


def value_of(type_: Any, ids: list[str], rng: random.Random) -> Any:
    required = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if required else type_
    if isinstance(inner, GraphQLList):
        return [value_of(inner.of_type, ids, rng) for _ in range(rng.randint(1, 2))]
    if isinstance(inner, GraphQLEnumType):
        return rng.choice(list(inner.values))
    if isinstance(inner, GraphQLScalarType):
        if inner.name == "ID":
            return rng.choice(ids)
        if inner.name in SCALARS:
            return SCALARS[inner.name]
    if isinstance(inner, GraphQLInputObjectType) and not any(
            isinstance(f.type, GraphQLNonNull) for f in inner.fields.values()):
        return {}
    if required:
        raise NoValue(str(type_))
    return None


async def test_every_suite_query_gives_the_same_answers(paths: Paths, worlds,
                                                        principals: list[Principal]) -> None:
    a, b = worlds
    schema = paths.planned._schema
    documents = suite_documents(schema)
    assert len(documents) >= 20, "the suite's documents were not found"
    ids = sorted(a.global_ids | b.global_ids)
    rng = random.Random(11)
    planned = compared = 0
    for text, operation in documents:
        for principal in principals:
            try:
                variables = variables_for(schema, text, operation, ids, rng)
            except NoValue:
                continue
            planned += await paths.compare(text, variables, principal, operation)
            compared += 1
    assert compared >= len(documents)
    assert planned > 0
