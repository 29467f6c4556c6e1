"""The commands a new user runs: serve (embedded servers, clean stop), export-schema."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from app.cli import export_schema_text
from tests.servers import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent


def _processes_under(path: Path) -> list[psutil.Process]:
    """Server processes started for this data folder (postgres daemonizes: not our child)."""
    found = []
    for p in psutil.process_iter(["cmdline", "cwd"]):
        text = " ".join(p.info["cmdline"] or []) + " " + (p.info["cwd"] or "")
        if str(path) in text and p.pid != os.getpid():
            found.append(p)
    return found


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_starts_embedded_servers_and_stops_them(tmp_path: Path, stop_signal) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["AIPLATFORM_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql",
                            json={"query": "{ organizations { totalCount } }"}).json()
        servers = _processes_under(tmp_path)
        names = sorted({p.name() for p in servers})

        proc.send_signal(stop_signal)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = proc.stdout.read().decode() if proc.stdout else ""

    assert answer == {"data": {"organizations": {"totalCount": 0}}}
    assert any(n.startswith("postgres") for n in names), names
    assert any(n.startswith("redis") for n in names), names
    # uvicorn re-raises the signal after a complete graceful shutdown
    assert code in (0, -stop_signal), output
    assert "Application shutdown complete" in output
    assert not [p for p in servers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], \
        "embedded servers outlived the app"


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"

    subprocess.run([sys.executable, "-m", "app.cli", "export-schema", "--output", str(target)],
                   cwd=ROOT, check=True, capture_output=True)

    assert target.read_text() == export_schema_text()
