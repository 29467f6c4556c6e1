"""Settings are checked when a command starts: a server that cannot work does not start, and
says which variable to fix in one line; `check-config` shows what is in effect, secrets masked;
`serve --workers N` in embedded mode hands its workers everything they need."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from services.settings import Settings, describe, problems
from tests.servers import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL_DB = "postgresql://app:hunter2-db@127.0.0.1:1/aiplatform"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith("AIPLATFORM_") and k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, text=True,
                          env={**environment, **env}, capture_output=True, timeout=60)


def test_serve_with_a_database_and_no_secret_key_exits_naming_the_variable() -> None:
    done = run_cli("serve", DATABASE_URL=EXTERNAL_DB)

    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert "AIPLATFORM_SECRET_KEY" in line
    assert "hunter2" not in done.stderr + done.stdout
    assert "Started server" not in done.stderr  # it exited before serving


def test_migrate_refuses_a_weak_secret_key() -> None:
    done = run_cli("migrate", DATABASE_URL=EXTERNAL_DB, AIPLATFORM_SECRET_KEY="changeme")

    assert done.returncode != 0
    assert "AIPLATFORM_SECRET_KEY must be a random value of 32+ characters" in done.stderr
    assert "changeme" not in done.stderr.replace("AIPLATFORM_SECRET_KEY", "")


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("DATABASE_URL", "mysql://root:hunter2-db@db/app", "must start with postgresql://"),
    ("REDIS_URL", "redis://cache:port", "not a URL"),
    ("AIPLATFORM_DB_POOL_SIZE", "0", "greater than or equal to 1"),
    ("AIPLATFORM_PORT", "70000", "less than or equal to 65535"),
    ("AIPLATFORM_LOG_LEVEL", "loud", "must be one of"),
    ("AIPLATFORM_SYSTEM_LOG_LEVEL", "everything", "must be one of"),
])
def test_an_invalid_value_is_one_line_naming_its_variable_without_the_value(
        variable: str, value: str, says: str) -> None:
    done = run_cli("serve", **{variable: value})

    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"aiplatform: invalid configuration: {variable}: "), line
    assert says in line
    assert value not in line.removeprefix(f"aiplatform: invalid configuration: {variable}")


def test_levels_are_read_in_any_case() -> None:
    settings = Settings(log_level="WARNING", system_log_level="error")

    assert (settings.log_level, settings.system_log_level) == ("warning", "ERROR")


def test_cross_setting_problems_are_listed_together() -> None:
    settings = Settings(database_url=EXTERNAL_DB, default_page_size=500, max_page_size=100)

    assert problems(settings) == [
        "AIPLATFORM_SECRET_KEY is required when DATABASE_URL is set",
        "AIPLATFORM_DEFAULT_PAGE_SIZE must not exceed AIPLATFORM_MAX_PAGE_SIZE",
    ]


def test_describe_names_aliased_and_prefixed_variables() -> None:
    with pytest.raises(Exception) as raised:
        Settings(database_url="ftp://x", workers=0)

    assert describe(raised.value) == [  # type: ignore[arg-type]
        "DATABASE_URL: must start with postgresql:// or postgres:// or postgresql+asyncpg://",
        "AIPLATFORM_WORKERS: Input should be greater than or equal to 1",
    ]


def test_check_config_prints_effective_settings_with_secrets_masked() -> None:
    key = secrets.token_urlsafe(40)
    done = run_cli("check-config", DATABASE_URL=EXTERNAL_DB, AIPLATFORM_SECRET_KEY=key,
                   S3_SECRET_KEY="minio-secret-value", AIPLATFORM_MAX_PAGE_SIZE="250")

    assert done.returncode == 0, done.stderr
    shown = dict(line.split("=", 1) for line in done.stdout.splitlines())
    assert shown["DATABASE_URL"] == "postgresql://app:***@127.0.0.1:1/aiplatform"
    assert shown["AIPLATFORM_SECRET_KEY"] == "***"
    assert shown["S3_SECRET_KEY"] == "***"
    assert shown["AIPLATFORM_MAX_PAGE_SIZE"] == "250"
    assert shown["AIPLATFORM_PLANNER"] == "True"
    for secret in (key, "hunter2", "minio-secret-value"):
        assert secret not in done.stdout + done.stderr


def test_check_config_exits_non_zero_on_a_problem() -> None:
    done = run_cli("check-config", DATABASE_URL=EXTERNAL_DB)

    assert done.returncode == 1
    assert "problem: AIPLATFORM_SECRET_KEY is required when DATABASE_URL is set" in done.stderr


SIGN_UP = """mutation ($input: SignUpInput!) { signUp(input: $input) {
  accessToken userErrors { code } } }"""
LOG_IN = """mutation LogIn($input: LogInInput!) { logIn(input: $input) {
  accessToken userErrors { code } } }"""
SETUP = [
    ("createOrganization", "CreateOrganizationInput",
     {"name": "Acme", "slug": "acme"}, "organization { id }"),
    ("createProject", "CreateProjectInput", {"name": "vision"}, "project { id }"),
    ("createExperiment", "CreateExperimentInput", {"name": "resnet"}, "experiment { id }"),
    ("startRun", "StartRunInput", {"name": "r1"}, "run { id }"),
]
PROGRESS = """subscription ($runId: ID!) { runProgress(runId: $runId) {
  __typename ... on RunMetricsReported { points { step loss } } } }"""
REPORT = """mutation ($input: ReportRunMetricsInput!) { reportRunMetrics(input: $input) {
  userErrors { code } } }"""


def post(http: httpx.Client, query: str, variables: dict, token: str | None = None) -> dict:
    """One request on a new connection, so the kernel may hand it to either worker."""
    headers = {"authorization": f"Bearer {token}", "connection": "close"} if token else {
        "connection": "close"}
    answer = http.post("/graphql", json={"query": query, "variables": variables},
                       headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


async def watch(ws_url: str, token: str, run_id: str, ready: asyncio.Event,
                subscribed: list[int]) -> dict:
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": PROGRESS, "variables": {"runId": run_id}}}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 30))  # the run as it is
        assert first["payload"]["data"]["runProgress"]["__typename"] == "RunStatusChanged"
        subscribed.append(1)
        ready.set()
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            event = message["payload"]["data"]["runProgress"]
            if event["__typename"] == "RunMetricsReported":
                return event


def logins_counted(http: httpx.Client) -> float:
    text = http.get("/metrics", headers={"connection": "close"}).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "aiplatform_graphql_requests_total"
               and sample.labels["operation_name"] == "LogIn"
               and sample.labels["outcome"] == "ok")


def test_embedded_serve_with_two_workers_logs_in_and_subscribes(tmp_path: Path) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith("AIPLATFORM_") and k not in ("DATABASE_URL", "REDIS_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env={**environment, "AIPLATFORM_DATA_DIR": str(tmp_path / "data"),
                       "AIPLATFORM_ACCESS_LOG": "false"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{base}/healthz", proc)
        with httpx.Client(base_url=base, timeout=30) as http:
            account = {"email": "ann@example.com", "username": "ann",
                       "password": "correct horse battery"}
            signed = post(http, SIGN_UP, {"input": account})["signUp"]
            assert signed["userErrors"] == [] and signed["accessToken"]
            # every login on a fresh connection: each worker answers some of them
            logins = [post(http, LOG_IN, {"input": {"login": "ann",
                                                    "password": account["password"]}})["logIn"]
                      for _ in range(12)]
            assert all(x["userErrors"] == [] and x["accessToken"] for x in logins)
            token = logins[-1]["accessToken"]
            ids: dict[str, str] = {}
            for field, input_type, values, selection in SETUP:
                values = {**values, **({"organizationId": ids["createOrganization"]}
                                       if field == "createProject" else {}),
                          **({"projectId": ids["createProject"]}
                             if field == "createExperiment" else {}),
                          **({"experimentId": ids["createExperiment"]}
                             if field == "startRun" else {})}
                query = (f"mutation ($input: {input_type}!) {{ {field}(input: $input) "
                         f"{{ {selection} userErrors {{ code }} }} }}")
                payload = post(http, query, {"input": values}, token)[field]
                assert payload["userErrors"] == []
                ids[field] = next(v["id"] for k, v in payload.items() if k != "userErrors")
            run_id = ids["startRun"]

            async def scenario() -> list[dict]:
                subscribed: list[int] = []
                readies = [asyncio.Event() for _ in range(6)]
                watchers = [asyncio.create_task(watch(f"ws://127.0.0.1:{port}/graphql", token,
                                                      run_id, ready, subscribed))
                            for ready in readies]
                await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 30)
                assert len(subscribed) == 6
                await asyncio.to_thread(post, http, REPORT, {"input": {
                    "runId": run_id, "points": [{"step": 1, "loss": 0.5}]}}, token)
                return await asyncio.wait_for(asyncio.gather(*watchers), 30)

            events = asyncio.run(scenario())
            # whichever worker answers /metrics, it counts the logins both answered
            scrapes = [logins_counted(http) for _ in range(4)]
        assert events == [{"__typename": "RunMetricsReported",
                           "points": [{"step": 1, "loss": 0.5}]}] * 6
        assert scrapes == [12] * 4
        writers = {path.name.rsplit("_", 1)[-1]
                   for path in (tmp_path / "data" / "metrics").glob("counter_*.db")}
        assert len(writers) == 2, writers  # both workers counted requests
    finally:
        stop(proc)
