"""Embedded PostgreSQL + redis-server: real processes, real data, no leftovers.

Plain sync tests (no conftest fixtures): each runs the servers in its own tmp_path.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import asyncpg
import psutil
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.embedded import EmbeddedServices

REPO_ROOT = Path(__file__).resolve().parents[1]


def _gone(pid: int) -> bool:
    """Exited; a zombie awaiting reaping by init counts as exited."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _assert_gone(pids: Iterable[int]) -> None:
    alive = [pid for pid in pids if not _gone(pid)]
    assert not alive, f"server processes still running: {alive}"


def _kill(pids: Iterable[int]) -> None:
    """Last-resort cleanup so a failing test leaves no servers behind."""
    for pid in pids:
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass


async def _write(svc: EmbeddedServices, value: str) -> None:
    conn = await asyncpg.connect(svc.database_url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("select 1") == 1
        await conn.execute("create table if not exists kv (k text primary key, v text)")
        await conn.execute("insert into kv values ('k', $1)", value)
    finally:
        await conn.close()
    client = aioredis.from_url(svc.redis_url)
    try:
        await client.set("k", value)
        await client.save()
    finally:
        await client.aclose()


async def _read(svc: EmbeddedServices) -> tuple[str | None, bytes | None]:
    conn = await asyncpg.connect(svc.database_url.replace("+asyncpg", ""))
    try:
        row = await conn.fetchval("select v from kv where k = 'k'")
    finally:
        await conn.close()
    client = aioredis.from_url(svc.redis_url)
    try:
        return row, await client.get("k")
    finally:
        await client.aclose()


def test_start_stop_and_data_survives_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data dir"  # URLs must quote the space
    svc = EmbeddedServices(data_dir)
    svc.start()
    pids = svc.server_pids
    try:
        assert set(pids) == {"postgres", "redis"}
        svc.start()  # idempotent
        assert svc.server_pids == pids
        asyncio.run(_write(svc, "hello"))
    finally:
        svc.stop()
        _kill(pids.values())
    _assert_gone(pids.values())
    svc.stop()  # idempotent

    with EmbeddedServices(data_dir) as again:
        new_pids = again.server_pids
        assert asyncio.run(_read(again)) == ("hello", b"hello")
        assert again.database_url.startswith("postgresql+asyncpg://")
    _assert_gone(new_pids.values())
    assert (data_dir / "logs" / "postgres.log").stat().st_size > 0
    assert (data_dir / "logs" / "redis.log").stat().st_size > 0


def test_long_data_dir_with_spaces_uses_short_sockets(tmp_path: Path) -> None:
    data_dir = tmp_path / ("a long data dir " + "x" * 90)
    assert len(str(data_dir / "postgres" / ".s.PGSQL.5432")) > 107

    async def check(svc: EmbeddedServices) -> None:
        engine = create_async_engine(svc.database_url)  # SQLAlchemy must parse the URL too
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(text("select current_database()"))).scalar() == (
                    "aiplatform"
                )
        finally:
            await engine.dispose()
        client = aioredis.from_url(svc.redis_url)
        try:
            assert await client.ping()
        finally:
            await client.aclose()

    with EmbeddedServices(data_dir) as svc:
        pids = svc.server_pids
        assert svc.redis_url.startswith("unix:///tmp/aiplatform-")
        assert "host=/tmp/aiplatform-" in svc.database_url
        asyncio.run(check(svc))
    _assert_gone(pids.values())


def test_instances_in_one_process_share_servers(tmp_path: Path) -> None:
    first = EmbeddedServices(tmp_path)
    second = EmbeddedServices(tmp_path, postgres=False)
    first.start()
    try:
        second.start()
        pids = first.server_pids
        assert second.server_pids == pids
        assert second.redis_url == first.redis_url
        with pytest.raises(RuntimeError):
            _ = second.database_url
        first.stop()  # second still uses redis; postgres had no other user
        assert _gone(pids["postgres"])
        assert not _gone(pids["redis"])
    finally:
        first.stop()
        second.stop()
    _assert_gone(pids.values())


def test_recovers_after_servers_are_killed(tmp_path: Path) -> None:
    svc = EmbeddedServices(tmp_path)
    svc.start()
    pids = svc.server_pids
    asyncio.run(_write(svc, "durable"))
    for pid in pids.values():  # leaves a stale postmaster.pid and redis socket behind
        os.kill(pid, signal.SIGKILL)
    for pid in pids.values():
        psutil.Process(pid).wait(5) if not _gone(pid) else None
    svc.stop()  # must cope with servers that are already dead

    with EmbeddedServices(tmp_path) as again:
        new_pids = again.server_pids
        assert asyncio.run(_read(again)) == ("durable", b"durable")
    _assert_gone(new_pids.values())


def test_other_process_attaches_then_restarts_orphans(tmp_path: Path) -> None:
    """A live owner is attached to, never stopped; a dead owner's servers are restarted."""
    child_code = textwrap.dedent(
        f"""
        import json, time
        from pathlib import Path
        from app.embedded import EmbeddedServices
        svc = EmbeddedServices(Path({str(tmp_path)!r}))
        svc.start()
        print(json.dumps(svc.server_pids), flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", child_code], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    orphan_pids: dict[str, int] = {}
    try:
        assert child.stdout is not None
        orphan_pids = json.loads(child.stdout.readline())

        with EmbeddedServices(tmp_path) as attached:
            assert not attached.is_owner
            assert attached.server_pids == orphan_pids
            asyncio.run(_write(attached, "from-attached"))
        assert not any(_gone(pid) for pid in orphan_pids.values())  # not ours to stop

        child.kill()  # kill -9 the owner: its servers are now orphans
        child.wait(10)

        with EmbeddedServices(tmp_path) as owner:
            assert owner.is_owner
            new_pids = owner.server_pids
            assert set(new_pids.values()).isdisjoint(orphan_pids.values())
            _assert_gone(orphan_pids.values())
            assert asyncio.run(_read(owner)) == ("from-attached", b"from-attached")
        _assert_gone(new_pids.values())
    finally:
        child.kill()
        child.wait(10)
        _kill(orphan_pids.values())
