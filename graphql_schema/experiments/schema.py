"""Root fields of the experiments domain (wiring only)."""

from __future__ import annotations

import strawberry

from db.loaders.experiments import EXPERIMENTS, PROJECTS, RUNS
from graphql_schema.context import Info
from graphql_schema.experiments.inputs import (
    ExperimentFilter,
    ExperimentOrder,
    ProjectFilter,
    ProjectOrder,
    RunFilter,
    RunOrder,
)
from graphql_schema.experiments.types import Experiment, Project, Run
from graphql_schema.relay import Connection, PageArgs, resolve_connection


@strawberry.type
class ExperimentsQuery:
    @strawberry.field(description="Projects of the organizations you may see.")
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ProjectFilter | None = None, order_by: ProjectOrder | None = None,
    ) -> Connection[Project]:
        return await resolve_connection(info, PROJECTS, Project, None,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Experiments of the organizations you may see.")
    async def experiments(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ExperimentFilter | None = None, order_by: ExperimentOrder | None = None,
    ) -> Connection[Experiment]:
        return await resolve_connection(info, EXPERIMENTS, Experiment, None,
                                        PageArgs(first, after, last, before), filter, order_by)

    @strawberry.field(description="Training and evaluation runs of the organizations you may "
                                  "see.")
    async def runs(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: RunFilter | None = None, order_by: RunOrder | None = None,
    ) -> Connection[Run]:
        return await resolve_connection(info, RUNS, Run, None,
                                        PageArgs(first, after, last, before), filter, order_by)
