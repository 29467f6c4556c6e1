"""The account commands of the command line (create-superuser) and the demo users' login."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from app.demo_data import DemoSizes, generate
from app.demo_data.identity import DEMO_PASSWORD
from tests.factories.identity import make_user
from tests.identity.test_accounts import ROOT, VIEWER, bearer, log_in, value, viewer


def run_cli(database_url: str, redis_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


async def test_create_superuser_creates_an_account_that_can_log_in(
    client, db, database_url, redis_url
) -> None:
    done = await asyncio.to_thread(
        run_cli, database_url, redis_url, "create-superuser", "--email", "Root@Example.com",
        "--username", "boss", "--password", "a long admin password")
    logged = await log_in(client, "root@example.com", "a long admin password")

    assert done.returncode == 0, done.stderr
    assert done.stdout == ("created superuser boss <root@example.com>; "
                           "log in with the logIn mutation\n")
    assert logged["userErrors"] == []
    response = await client.post("/graphql", json={"query": VIEWER},
                                 headers=bearer(logged["accessToken"]))
    assert response.json() == {"data": {"viewer": {"username": "boss", "isSuperuser": True}}}
    assert [tuple(r) for r in await db.fetch("SELECT action, user_agent FROM audit_logs "
                                             "ORDER BY created_at")] == [
        ("user.create_superuser", "aiplatform create-superuser"),
        ("session.log_in", "python-httpx/" + __import__("httpx").__version__)]


async def test_create_superuser_promotes_an_existing_account(
    client, session, db, database_url, redis_url
) -> None:
    await make_user(session, username="carol")
    await session.commit()

    done = await asyncio.to_thread(
        run_cli, database_url, redis_url, "create-superuser", "--email", "carol@example.com",
        "--username", "carol", "--password", "carol's new password")
    logged = await log_in(client, "carol", "carol's new password")

    assert done.stdout.startswith("promoted superuser carol <carol@example.com>"), done.stderr
    assert await value(db, "SELECT count(*) FROM users WHERE is_superuser") == 1
    assert logged["userErrors"] == []


async def test_create_superuser_without_a_terminal_needs_every_option(
    db, database_url, redis_url
) -> None:
    done = await asyncio.to_thread(
        run_cli, database_url, redis_url, "create-superuser", "--email", "x@example.com")

    assert done.returncode == 1
    assert done.stderr == ("create-superuser: --username, --password required "
                           "(no terminal to ask in)\n")
    assert await value(db, "SELECT count(*) FROM users") == 0


async def test_demo_users_log_in_with_the_documented_password(client, db, database_url) -> None:
    await generate(database_url, DemoSizes(orgs=1, members=2, models=1, sessions=1, messages=2))
    owner = await value(db,
        "SELECT u.username FROM users u JOIN memberships m ON m.user_id = u.id "
        "WHERE m.role = 'owner'")

    logged = await log_in(client, owner, DEMO_PASSWORD)

    assert DEMO_PASSWORD == "demo-password"
    assert logged["userErrors"] == []
    assert await viewer(client, logged["accessToken"]) == owner
