"""Tasks as data: each is a name, a queue and an async function of JSON keyword arguments;
`build_app` turns the list into a procrastinate App whose workers run them.

The product's tasks are `services.jobs.tasks.TASKS`; modules named in
AIPLATFORM_WORKER_IMPORT_PATHS add their own `TASKS` (extensions, tests).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from procrastinate import App, PsycopgConnector

from db.session import asyncpg_dsn
from services.jobs.queues import QUEUES
from services.jobs.runtime import Backoff
from services.settings import Settings


@dataclass(frozen=True)
class TaskSpec:
    name: str  # what a job row names, so renaming one strands its queued jobs
    queue: str
    run: Callable[..., Awaitable[Any]]  # its keyword arguments are the job's (JSON) arguments
    # periodic: a cron line (a 6th field for seconds), deferred once per tick whichever
    # workers are running; `run` then gets the tick as `timestamp`
    cron: str | None = None
    retry: bool = True  # with Backoff; False: a failure is final
    # jobs sharing a lock run one at a time, in order (periodic upkeep never overlaps itself)
    lock: str | None = None

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"task {self.name}: unknown queue {self.queue!r}")


def task_specs(settings: Settings) -> list[TaskSpec]:
    from services.jobs.tasks import TASKS

    specs = list(TASKS)
    for path in filter(None, (p.strip() for p in settings.worker_import_paths.split(","))):
        specs.extend(importlib.import_module(path).TASKS)
    return specs


def build_app(settings: Settings, database_url: str, specs: Iterable[TaskSpec],
              *, pool_size: int = 4) -> App:
    """An App (not yet opened) with its own small psycopg pool: procrastinate's statements
    (fetch, finish, heartbeats) and its LISTEN connections are separate from the server's."""
    app = App(connector=PsycopgConnector(conninfo=asyncpg_dsn(database_url), min_size=1,
                                         max_size=pool_size))
    for spec in specs:
        task = app.task(name=spec.name, queue=spec.queue, lock=spec.lock,
                        retry=Backoff(settings) if spec.retry else False)(spec.run)
        if spec.cron is not None:
            app.periodic(cron=spec.cron, periodic_id=spec.name)(task)
    return app
