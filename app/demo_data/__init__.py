"""`aiplatform demo-data`: fast, deterministic, realistic demo data.

All rows are built in memory first (one module per domain), then written with COPY in one
transaction: a failure leaves nothing half-written, and defaults (100,000 chat messages) load
in seconds. The same sizes and seed always give the same rows (see common.py), so benchmarks
and screenshots are reproducible. reset=True wipes *every* table of the application (TRUNCATE
... CASCADE), not only demo rows: it is meant for demo and benchmark databases.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from app.demo_data import chat, identity, knowledge, models, training
from app.demo_data.common import DemoSizes, Ids, World
from db.session import asyncpg_dsn

__all__ = ["DemoSizes", "build", "generate"]

# Two concurrent loads would both pass the emptiness check; this lock makes the second wait
# (and then refuse, or reset and reload the same rows).
_LOCK_KEY = 0x61_69_64_65_6D_6F  # "aidemo"


def build(sizes: DemoSizes) -> World:
    """Every demo row, in load order (parents before children)."""
    sizes.validate()
    world = World(sizes, Ids(sizes.seed))
    identity.build(world)
    models.build(world)
    training.build_datasets(world)
    training.build_experiments(world)
    models.build_deployments(world)
    chat.build(world)
    if sizes.knowledge:
        knowledge.build(world)
    return world


def _all_tables() -> list[str]:
    import db.models  # noqa: F401  (registers every table on Base.metadata)
    from db.base import Base

    return [t.name for t in Base.metadata.sorted_tables]


async def _refuse_if_filled(con: asyncpg.Connection, tables: list[str]) -> None:
    checks = ", ".join(f"EXISTS (SELECT FROM {t})" for t in tables)
    filled = [t for t, full in zip(tables, await con.fetchrow(f"SELECT {checks}"), strict=True)
              if full]
    if filled:
        raise ValueError(
            f"the database already holds data (in {', '.join(filled[:3])}"
            f"{', ...' if len(filled) > 3 else ''}); refusing to add demo data "
            "on top of it. Use an empty database, or pass reset (`aiplatform demo-data --reset`)"
            ", which deletes ALL rows of ALL application tables first."
        )


async def generate(database_url: str, sizes: DemoSizes, *, reset: bool = False) -> str:
    """Load the demo data; returns a one-paragraph report (rows per table, seconds taken)."""
    started = time.perf_counter()
    world = await asyncio.to_thread(build, sizes)  # CPU-bound: keep the event loop free
    built = time.perf_counter()
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with con.transaction():
            await con.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
            if reset:
                await con.execute(f"TRUNCATE {', '.join(_all_tables())} CASCADE")
            else:
                await _refuse_if_filled(con, [t.name for t in world.tables])
            for table in world.tables:
                if table.rows:
                    await con.copy_records_to_table(
                        table.name, records=table.rows, columns=table.columns)
            if world.version_sources:  # circular FK: versions were loaded before their runs
                version_ids, run_ids = zip(*world.version_sources, strict=True)
                await con.execute(
                    "UPDATE model_versions v SET source_run_id = s.run_id FROM"
                    " unnest($1::uuid[], $2::uuid[]) AS s(version_id, run_id)"
                    " WHERE v.id = s.version_id", list(version_ids), list(run_ids))
        loaded = time.perf_counter()
        await con.execute(f"ANALYZE {', '.join(t.name for t in world.tables)}")
    finally:
        await con.close()
    ingested = await knowledge.ingest(database_url) if sizes.knowledge else 0
    done = time.perf_counter()
    counts = ", ".join(f"{t.name} {len(t.rows):,}" for t in world.tables)
    total = sum(len(t.rows) for t in world.tables)
    return (
        f"Demo data (seed {sizes.seed}{', after wiping all tables' if reset else ''}): "
        f"{total:,} rows: {counts}; {done - started:.1f} s in all (build {built - started:.1f} s,"
        f" COPY {loaded - built:.1f} s, ANALYZE and ingestion {done - loaded:.1f} s)."
        f"{_knowledge_hint(ingested)}{_login_hint(world)}"
    )


def _knowledge_hint(ingested: int) -> str:
    if not ingested:
        return ""
    return (f"\n{ingested} knowledge documents embedded into charging_knowledge, "
            "troubleshooting_guides and technical_specs (the first organization's): try ragQuery.")


def _login_hint(world: World) -> str:
    """Who a new user can log in as right away: the first organization's owner."""
    tables = {t.name: t for t in world.tables}
    users, memberships = tables.get("users"), tables.get("memberships")
    if not users or not memberships or not memberships.rows:
        return ""
    role, user_id = memberships.columns.index("role"), memberships.columns.index("user_id")
    owner = next((m[user_id] for m in memberships.rows if m[role] == "owner"), None)
    uid, name = users.columns.index("id"), users.columns.index("username")
    username = next((u[name] for u in users.rows if u[uid] == owner), None)
    if username is None:
        return ""
    return (f"\nLog in as {username!r} (an organization owner) with the password "
            f"{identity.DEMO_PASSWORD!r}: every demo user has it.")
