"""Real server processes for end-to-end tests (websockets, several processes, the CLI)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from services.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Poll a health URL until it answers 200 (bounded); fail if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url}: server exited during start-up"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not become healthy in time")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def app_servers(settings: Settings, count: int = 1, **env: str) -> Iterator[list[str]]:
    """Base URLs (http://127.0.0.1:port) of `count` uvicorn processes serving the app on the
    test database and Redis, like separate production workers; stopped on exit. They run no
    worker tier unless `AIPLATFORM_RUN_WORKER="true"` is given: tests run jobs themselves."""
    assert settings.database_url and settings.redis_url and settings.secret_key
    environment = {**os.environ, "DATABASE_URL": settings.database_url,
                   "REDIS_URL": settings.redis_url, "AIPLATFORM_ACCESS_LOG": "false",
                   "AIPLATFORM_SECRET_KEY": settings.secret_key.get_secret_value(),
                   "AIPLATFORM_RUN_WORKER": "false", **env}
    ports = [free_port() for _ in range(count)]
    procs = [subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            stop(proc)
