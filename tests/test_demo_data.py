"""`aiplatform demo-data`: exact sizes, identical reruns, refusal to pile onto existing data,
and tenant consistency (benchmarks and demos rely on all four)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import pytest

from app.demo_data import DemoSizes, build, generate, training
from app.demo_data import models as demo_models
from db.models import Base
from db.session import asyncpg_dsn

SMALL = DemoSizes(orgs=2, members=3, models=2, sessions=2, messages=4)
DEMO_TABLES = [t.name for t in build(SMALL).tables]


@pytest.fixture
async def con(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the shared test database, left empty afterwards for the other tests."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        yield connection
    finally:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        await connection.execute(f"TRUNCATE {tables} CASCADE")
        await connection.close()


async def _counts(con: asyncpg.Connection) -> dict[str, int]:
    return {t: await con.fetchval(f"SELECT count(*) FROM {t}") for t in DEMO_TABLES}


async def _digest(con: asyncpg.Connection) -> dict[str, str]:
    """Every column of every demo row, in id order."""
    return {
        t: await con.fetchval(f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {t} t")
        for t in DEMO_TABLES
    }


async def test_small_sizes_give_exact_row_counts(database_url: str, con: asyncpg.Connection):
    report = await generate(database_url, SMALL)

    orgs, users = SMALL.orgs, SMALL.orgs * SMALL.members
    datasets = orgs * training.DATASETS_PER_ORG
    projects = orgs * training.PROJECTS_PER_ORG
    experiments = projects * training.EXPERIMENTS_PER_PROJECT
    sessions = users * SMALL.sessions
    counts = await _counts(con)
    assert counts == {
        "organizations": orgs,
        "users": users,
        "memberships": users,
        "ai_models": orgs * SMALL.models,
        "model_versions": orgs * SMALL.models * len(demo_models.VERSIONS),
        "datasets": datasets,
        "dataset_versions": datasets * len(training.DATASET_VERSIONS),
        "projects": projects,
        "experiments": experiments,
        "runs": experiments * training.RUNS_PER_EXPERIMENT,
        "run_metrics": counts["run_metrics"],  # depends on run statuses: checked below
        "deployments": orgs * min(SMALL.models, demo_models.DEPLOYED_PER_ORG),
        "chat_sessions": sessions,
        "chat_messages": sessions * SMALL.messages,
    }
    reported_points = await con.fetchval(
        f"SELECT sum(current_step / {training.STEPS_PER_POINT}) FROM runs")
    assert counts["run_metrics"] == reported_points > 0
    assert f"chat_messages {sessions * SMALL.messages}" in report

    # one owner per organization, one default production version per model
    assert await con.fetchval("SELECT count(*) FROM memberships WHERE role = 'owner'") == orgs
    assert await con.fetchval(
        "SELECT count(*) FROM model_versions WHERE status = 'production' AND is_default"
    ) == counts["ai_models"]
    # messages alternate user/assistant, numbered 1..N, each pointing at the one before
    broken = await con.fetchval(
        """SELECT count(*) FROM chat_messages m
           LEFT JOIN chat_messages p ON p.id = m.parent_message_id
           WHERE m.role <> CASE WHEN m.sequence_number % 2 = 1 THEN 'user' ELSE 'assistant' END
              OR (m.sequence_number = 1) <> (m.parent_message_id IS NULL)
              OR (p.id IS NOT NULL AND (p.session_id <> m.session_id
                                        OR p.sequence_number <> m.sequence_number - 1))""")
    assert broken == 0


async def test_reset_reruns_write_identical_rows(database_url: str, con: asyncpg.Connection):
    await generate(database_url, SMALL, reset=True)
    first = await _digest(con)
    await generate(database_url, SMALL, reset=True)
    assert await _digest(con) == first
    assert all(first.values())  # every demo table got rows

    await generate(database_url, replace(SMALL, seed=7), reset=True)
    assert await _digest(con) != first  # the seed, not the clock, decides the data


async def test_refuses_to_load_onto_existing_data(database_url: str, con: asyncpg.Connection):
    await generate(database_url, SMALL)
    before = await _digest(con)
    with pytest.raises(ValueError, match="reset"):
        await generate(database_url, SMALL)
    assert await _digest(con) == before


async def test_rows_stay_inside_their_organization(database_url: str, con: asyncpg.Connection):
    await generate(database_url, SMALL)
    leaks = await con.fetchrow(
        """SELECT
             (SELECT count(*) FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id
               WHERE m.organization_id <> s.organization_id) AS messages,
             (SELECT count(*) FROM chat_sessions s JOIN ai_models a ON a.id = s.model_id
               WHERE a.organization_id <> s.organization_id) AS session_models,
             (SELECT count(*) FROM chat_sessions s WHERE NOT EXISTS (
                SELECT FROM memberships ms WHERE ms.user_id = s.user_id
                  AND ms.organization_id = s.organization_id)) AS session_users,
             (SELECT count(*) FROM runs r JOIN model_versions v ON v.id = r.base_model_version_id
               WHERE v.organization_id <> r.organization_id) AS run_versions,
             (SELECT count(*) FROM model_versions v JOIN runs r ON r.id = v.source_run_id
               WHERE r.organization_id <> v.organization_id OR r.status <> 'completed')
               AS version_sources""")
    assert dict(leaks) == dict.fromkeys(leaks.keys(), 0)


def test_sessions_without_models_are_rejected() -> None:
    with pytest.raises(ValueError, match="models"):
        build(DemoSizes(orgs=1, members=1, models=0, sessions=1))
