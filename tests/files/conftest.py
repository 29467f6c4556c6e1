"""An app per storage backend: the local folder, and S3 against moto's standalone server, a
real S3-protocol HTTP server the tests start on 127.0.0.1 (no MinIO server installs here)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr
from starlette.applications import Starlette

from app.main import create_app
from services.settings import Settings

MAX_UPLOAD_BYTES = 64 * 1024


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
async def files_app(request: pytest.FixtureRequest, settings: Settings, db,
                    tmp_path) -> AsyncIterator[Starlette]:
    """The app with a small upload limit, local storage unless parametrized (indirect) with
    "s3"; `db` truncates the tables afterwards."""
    backend = getattr(request, "param", "local")
    update: dict[str, object] = {"data_dir": tmp_path, "max_upload_bytes": MAX_UPLOAD_BYTES}
    if backend == "s3":
        update.update(s3_endpoint=request.getfixturevalue("s3_endpoint"),
                      s3_access_key="testing", s3_secret_key=SecretStr("testing-secret"),
                      s3_bucket=f"test-{secrets.token_hex(4)}", s3_secure=False)
    application = create_app(settings.model_copy(update=update))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def files_client(files_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=files_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
