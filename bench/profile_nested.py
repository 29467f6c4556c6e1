"""Where the time of one nested query goes, measured in-process (no HTTP).

Runs the benchmark's nested query through the real schema and database K times, once through
the planner and once through strawberry (AIPLATFORM_PLANNER off), and splits each request's
wall time into: SQL (waiting on asyncpg), building node/edge objects from records (strawberry
only), execution (the rest of `schema.execute`), and JSON serialization of the answer.
Usage, against the demo data:

    python bench/profile_nested.py [--repeat 30] [--data-dir .data]     # embedded database
    DATABASE_URL=postgresql://... python bench/profile_nested.py        # or a running one
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from app.lifespan import tune_gc
from db.scope import Principal
from db.session import Database
from graphql_schema import relay
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from services.settings import Settings

QUERY = (Path(__file__).parent / "queries" / "nested.graphql").read_text()


class Clock:
    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    def wrap_async(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - start
        return timed

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.totals[name] = self.totals.get(name, 0.0) + time.perf_counter() - start
        return timed


async def measure(database_url: str, repeat: int, *, planner: bool) -> dict[str, list[float]]:
    """Per-part wall times of `repeat` requests, through the planner or strawberry."""
    settings = Settings(database_url=database_url, redis_url="redis://unused", planner=planner)
    db = Database(database_url)
    await db.connect()
    schema = build_schema(settings)
    tune_gc()  # as the server does after start-up
    clock = Clock()
    db.fetch = clock.wrap_async("sql", db.fetch)  # type: ignore[method-assign]
    build_connection = relay.build_connection
    relay.build_connection = clock.wrap("build objects", build_connection)

    async def once() -> tuple[float, float, int, dict[str, float]]:
        clock.totals.clear()
        ctx = Context(settings=settings, db=db, redis=None,  # type: ignore[arg-type]
                      principal=Principal.superuser())
        start = time.perf_counter()
        result = await schema.execute(QUERY, context_value=ctx)
        executed = time.perf_counter()
        assert not result.errors, result.errors
        body = orjson.dumps({"data": result.data})
        return executed - start, time.perf_counter() - executed, len(body), dict(clock.totals)

    try:
        for _ in range(3):
            await once()
        runs = [await once() for _ in range(repeat)]
    finally:
        relay.build_connection = build_connection
        await db.close()
    execute = [r[0] for r in runs]
    sql = [r[3].get("sql", 0.0) for r in runs]
    build = [r[3].get("build objects", 0.0) for r in runs]
    return {
        "sql": sql, "build": build,
        "rest": [e - s - b for e, s, b in zip(execute, sql, build, strict=True)],
        "json": [r[1] for r in runs], "total": [r[0] + r[1] for r in runs],
        "kb": [r[2] / 1024 for r in runs],
    }


async def profile(database_url: str, repeat: int) -> None:
    planned = await measure(database_url, repeat, planner=True)
    reference = await measure(database_url, repeat, planner=False)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f}"

    print(f"nested query, {repeat} runs each, medians, answer {reference['kb'][0]:.0f} KB\n")
    print("| part | strawberry ms | planner ms |\n|---|---:|---:|")
    rows = [
        ("SQL (asyncpg, 6 statements, wall time)", "sql"),
        ("building node/edge objects from records", "build"),
        ("execution (strawberry: resolvers, field completion; planner: plan, dicts)", "rest"),
        ("JSON serialization (orjson)", "json"),
        ("total in-process", "total"),
    ]
    for label, key in rows:
        print(f"| {label} | {ms(reference[key])} | {ms(planned[key])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=Path(".data"))
    args = parser.parse_args()
    settings = Settings()
    if settings.database_url:
        asyncio.run(profile(settings.database_url, args.repeat))
        return
    from app.embedded import EmbeddedServices

    with EmbeddedServices(args.data_dir.resolve(), redis=False) as services:
        asyncio.run(profile(services.database_url, args.repeat))


if __name__ == "__main__":
    main()
