"""The trainer simulator: in-process against the app, and as `aiplatform simulate-training`
against a real server with an API key."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.simulate_training import Plan, SimulationError, simulate
from db.models import ApiKey, Run, RunMetric
from services.security.api_keys import generate_api_key
from tests.experiments.conftest import ROOT, gid, start_servers
from tests.factories.experiments import make_run
from tests.factories.identity import make_user


@pytest.fixture(scope="module")
def server(settings) -> Iterator[str]:
    for urls in start_servers(settings, 1):
        yield urls[0]


@pytest.fixture
async def key(session, team) -> str:
    """An API key of alice's in acme that may write experiments."""
    secret, prefix, key_hash = generate_api_key()
    session.add(ApiKey(organization_id=team.acme.id, user_id=team.alice.id, name="trainer",
                       prefix=prefix, key_hash=key_hash, scopes=["experiment:write"]))
    await session.commit()
    return secret


def through(client, headers: dict[str, str], loop: asyncio.AbstractEventLoop):
    """A synchronous sender, for the simulator in a thread, that posts on the test's loop."""
    def post(query: str, variables: dict) -> dict:
        request = client.post("/graphql", json={"query": query, "variables": variables},
                              headers=headers)
        return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=30).json()

    return post


async def run_simulation(client, headers, run_id: str, plan: Plan) -> tuple[dict, list[str]]:
    said: list[str] = []
    post = through(client, headers, asyncio.get_running_loop())
    result = await asyncio.to_thread(simulate, post, run_id, plan, say=said.append,
                                     sleep=lambda _: None)
    return result, said


async def stored(session, run: Run) -> list[RunMetric]:
    return list((await session.scalars(select(RunMetric).where(RunMetric.run_id == run.id)
                                       .order_by(RunMetric.step))).all())


async def test_it_starts_a_pending_run_reports_falling_loss_and_completes_it(
    client, session, team, key
) -> None:
    run = await make_run(session, experiment=team.experiment)
    await session.commit()

    result, said = await run_simulation(client, {"authorization": f"Bearer {key}"},
                                        gid("Run", run), Plan(steps=30, batch=8, epochs=3))

    assert result["status"] == "COMPLETED" and result["progress"] == 1.0
    points = await stored(session, run)
    assert [p.step for p in points] == list(range(1, 31))
    losses = [p.loss for p in points]
    assert losses == sorted(losses, reverse=True) and losses[0] > 1.5 > 0.3 > losses[-1]
    assert [p.epoch for p in points][::10] == [0, 1, 2]
    row = await session.get(Run, run.id, populate_existing=True)
    assert (row.total_steps, row.total_epochs, row.current_step) == (30, 3, 30)
    assert row.summary_metrics["simulated"] is True
    assert row.summary_metrics["final_loss"] == losses[-1] == row.summary_metrics["loss"]
    assert said[0] == f"started run {gid('Run', run)}: 30 steps, 8 per report"
    assert len(said) == 1 + 4 + 1 and said[-1] == "run completed: progress 100%"


async def test_a_running_run_is_resumed_after_its_current_step(client, session, team, key
                                                              ) -> None:
    run = await make_run(session, experiment=team.experiment, status="running")
    run.current_step = 6
    await session.commit()

    await run_simulation(client, {"authorization": f"Bearer {key}"}, gid("Run", run),
                         Plan(steps=10, batch=3))

    assert [p.step for p in await stored(session, run)] == [7, 8, 9, 10]


@pytest.mark.parametrize(("status", "message"), [
    ("completed", "the run is already completed"), ("cancelled", "the run is already cancelled"),
])
async def test_a_finished_run_is_refused(client, session, team, key, status, message) -> None:
    run = await make_run(session, experiment=team.experiment, status=status)
    await session.commit()

    with pytest.raises(SimulationError) as refused:
        await run_simulation(client, {"authorization": f"Bearer {key}"}, gid("Run", run), Plan())

    assert str(refused.value) == message


async def test_a_run_the_credential_cannot_see_is_refused(app, client, session, team) -> None:
    from tests.conftest import bearer_headers

    run = await make_run(session, experiment=team.experiment)
    stranger = await make_user(session, username="stranger")
    await session.commit()
    headers = await bearer_headers(app, session, stranger)

    with pytest.raises(SimulationError) as refused:
        await run_simulation(client, headers, gid("Run", run), Plan())

    assert str(refused.value) == (
        f"Could not resolve to a node with the global ID '{gid('Run', run)}' (NOT_FOUND)")
    assert await stored(session, run) == []


def cli(*args: str, key: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "AIPLATFORM_API_KEY"}
    if key is not None:
        env["AIPLATFORM_API_KEY"] = key
    return subprocess.run([sys.executable, "-m", "app.cli", "simulate-training", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


async def test_the_command_trains_a_run_through_a_real_server(server, session, team, key
                                                             ) -> None:
    run = await make_run(session, experiment=team.experiment)
    await session.commit()

    done = await asyncio.to_thread(cli, gid("Run", run), "--url", f"{server}/graphql",
                                   "--steps", "12", "--batch", "5", "--interval-ms", "1",
                                   key=key)
    again = await asyncio.to_thread(cli, gid("Run", run), "--url", f"{server}/graphql",
                                    key=key)
    no_key = await asyncio.to_thread(cli, gid("Run", run), key=None)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "run completed: progress 100%"
    assert [p.step for p in await stored(session, run)] == list(range(1, 13))
    assert (await session.get(Run, run.id, populate_existing=True)).status == "completed"
    assert (again.returncode, again.stderr.strip()) == (
        1, "simulate-training: the run is already completed")
    assert (no_key.returncode, no_key.stderr.strip()) == (
        1, "simulate-training: --api-key or AIPLATFORM_API_KEY required")
