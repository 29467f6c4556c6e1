"""The job's log as a local file: the local backend's own file, or a copy of the S3 object
(moto's S3 server); a missing object is a readable LogError."""

from __future__ import annotations

import io
import secrets

import pytest
from pydantic import SecretStr

from services.charging.analyse import analyse
from services.charging.frames import LogError
from services.charging.source import local_file
from services.storage.s3 import S3Storage
from tests.analysis.gbt_simulator import Script, session, write_csv
from tests.files.conftest import s3_endpoint  # noqa: F401 (moto's S3 server)


@pytest.fixture
async def s3(settings, s3_endpoint) -> S3Storage:  # noqa: F811
    storage = S3Storage(settings.model_copy(update={
        "s3_endpoint": s3_endpoint, "s3_access_key": "testing",
        "s3_secret_key": SecretStr("testing-secret"), "s3_bucket": f"t-{secrets.token_hex(4)}",
        "s3_secure": False}))
    await storage.ensure_bucket()
    return storage


async def test_an_s3_object_is_copied_for_the_analysis_and_removed(s3, tmp_path) -> None:
    content = write_csv(tmp_path / "log.csv", session(Script(charge_seconds=10))).read_bytes()
    await s3.put("files/o/log", io.BytesIO(content), len(content), "text/csv")

    async with local_file(s3, s3.path_of("files/o/log")) as path:
        assert path.read_bytes() == content
        outcome = analyse(path, "csv")

    assert outcome.result_data["durationSeconds"] == 12.6
    assert not path.exists()


async def test_a_missing_object_is_a_log_error(s3, app) -> None:
    with pytest.raises(LogError, match="the uploaded log could not be read from storage"):
        async with local_file(s3, s3.path_of("files/o/missing")):
            pass
    with pytest.raises(LogError, match="the uploaded log is missing from storage"):
        async with local_file(app.state.storage, "bucket/files/o/missing"):
            pass
