"""The two private attributes of strawberry (0.341) that the schema's extensions read, in one
place: strawberry has no public accessor for either. Both are read directly (no fallback
value), so a strawberry release that renames one fails every planned request in tests/planner
rather than quietly answering less; pyproject.toml pins the versions they were read from.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLSchema
from strawberry.types import ExecutionContext


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema strawberry built (`Schema._schema`): graphql-core's executor,
    validation and variable coercion take it, and strawberry exposes it nowhere else."""
    return schema._schema


def provided_operation_name(execution_context: ExecutionContext) -> str | None:
    """The operation name as the client sent it (None for a document's only operation), which
    is what the HTTP layer passes to `answer_known`. `ExecutionContext.operation_name` falls
    back to the first operation's name instead, and the value given is kept only privately."""
    name: Any = execution_context._provided_operation_name  # type: ignore[attr-defined]
    return name  # type: ignore[no-any-return]
