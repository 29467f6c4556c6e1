"""Log output: JSON lines that parse, or text, for the server's records and uvicorn's alike,
with the traceback of an unexpected exception."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.logs import configure
from services.settings import Settings
from tests.servers import free_port, wait_healthy

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_records_carry_level_logger_message_extras_and_traceback(
        restore_logging: None, capfd: pytest.CaptureFixture[str]) -> None:
    configure(Settings(log_format="json"))
    log = logging.getLogger("aiplatform.test")

    log.info("document ingested", extra={"document_id": "d1", "chunks": 12})
    try:
        {}["missing"]
    except KeyError:
        log.exception("ingestion failed")

    lines = capfd.readouterr().err.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["level"], r["logger"], r["message"]) for r in records] == [
        ("INFO", "aiplatform.test", "document ingested"),
        ("ERROR", "aiplatform.test", "ingestion failed"),
    ]
    assert records[0]["document_id"] == "d1" and records[0]["chunks"] == 12
    assert "time" in records[0]
    assert "Traceback" in records[1]["exc_info"] and "KeyError: 'missing'" in records[1]["exc_info"]


def test_text_records_keep_the_traceback(restore_logging: None,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    configure(Settings(log_format="text"))
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        logging.getLogger("aiplatform.test").exception("worker crashed")

    err = capfd.readouterr().err
    assert "ERROR aiplatform.test: worker crashed" in err
    assert "ZeroDivisionError: division by zero" in err


def test_serve_in_json_writes_only_json_lines(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AIPLATFORM_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(AIPLATFORM_DATA_DIR=str(tmp_path / "data"), AIPLATFORM_LOG_FORMAT="json")
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"})
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = proc.stdout.read().decode() if proc.stdout else ""

    assert answer.json() == {"data": {"__typename": "Query"}}
    records = [json.loads(line) for line in output.strip().splitlines()]
    messages = [r["message"] for r in records]
    assert any(m.startswith("Uvicorn running on") for m in messages), messages
    assert "Application shutdown complete." in messages
    assert {r["level"] for r in records} <= {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
