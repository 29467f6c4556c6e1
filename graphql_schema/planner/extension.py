"""The planner's place in strawberry's pipeline: a schema extension whose `on_execute` lets
the planner answer a first request (graphql_schema/planner/door.py decides)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from strawberry.extensions import SchemaExtension

if TYPE_CHECKING:
    from graphql_schema.planner.door import QueryPlanner


class PlannerExtension(SchemaExtension):
    def __init__(self, planner: QueryPlanner) -> None:
        self.planner = planner

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        result = await self.planner.answer(self.execution_context)
        if result is not None:
            self.execution_context.result = result
        yield
