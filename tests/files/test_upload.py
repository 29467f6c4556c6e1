"""uploadFile through the real GraphQL multipart request spec, and downloads by downloadUrl,
against the local folder and against S3 (moto's server on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from strawberry.relay import to_base64

from tests.ai_models.helpers import audit_actions, count, make_world
from tests.factories.datasets import make_dataset
from tests.files.conftest import MAX_UPLOAD_BYTES
from tests.graphql import error_codes, gql

UPLOAD = """
mutation ($input: UploadFileInput!) {
  uploadFile(input: $input) {
    file { __typename id filename mimeType sizeBytes checksum status storageProvider fileType
           metadata downloadUrl }
    userErrors { field message code }
  }
}"""
CREATE_VERSION = """
mutation ($input: CreateDatasetVersionInput!) {
  createDatasetVersion(input: $input) {
    datasetVersion { version file { filename checksum downloadUrl } }
    userErrors { code }
  }
}"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
BOTH = pytest.mark.parametrize("files_app", ["local", "s3"], indirect=True)


async def upload(client: httpx.AsyncClient, headers: dict[str, str], org: str, name: str,
                 content: bytes, *, preflight: bool = True) -> httpx.Response:
    """A multipart request as Apollo's and urql's upload links send it."""
    operations = {"query": UPLOAD, "variables": {
        "input": {"organizationId": org, "file": None, "purpose": "DATASET"}}}
    extra = {"apollo-require-preflight": "true"} if preflight else {}
    return await client.post(
        "/graphql", headers={**headers, **extra},
        data={"operations": orjson.dumps(operations).decode(),
              "map": orjson.dumps({"0": ["variables.input.file"]}).decode()},
        files={"0": (name, content, "application/octet-stream")})


async def uploaded(client, headers, org, name, content) -> dict[str, Any]:
    response = await upload(client, headers, org, name, content)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["uploadFile"]


async def download(client: httpx.AsyncClient, url: str) -> httpx.Response:
    if url.startswith("http://test/"):
        return await client.get(url)
    async with httpx.AsyncClient() as outside:  # S3: a presigned URL of the S3 server
        return await outside.get(url)


async def stored_objects(app) -> list[str]:
    storage = app.state.storage
    if storage.provider == "local":
        return [str(p) for p in storage.root.rglob("*") if p.is_file()]
    if not storage.client.bucket_exists(storage.bucket):
        return []
    return [o.object_name for o in storage.client.list_objects(storage.bucket, recursive=True)]


@BOTH
async def test_a_member_uploads_and_downloads_the_same_bytes(files_app, files_client, session,
                                                             db) -> None:
    # given a member of acme and a CSV
    world = await make_world(files_app, session)
    content = b"a,b\n" + b"1,2\n" * 5000

    # when the member uploads it
    payload = await uploaded(files_client, world.member, world.acme_id, "rows.csv", content)

    # then the row holds the name, size, type and SHA-256 of the bytes
    file = payload["file"]
    provider = files_app.state.storage.provider
    assert payload["userErrors"] == []
    assert {k: v for k, v in file.items() if k not in ("id", "downloadUrl")} == {
        "__typename": "File", "filename": "rows.csv", "mimeType": "text/csv",
        "sizeBytes": len(content), "checksum": hashlib.sha256(content).hexdigest(),
        "status": "UPLOADED", "storageProvider": provider, "fileType": "csv",
        "metadata": {"purpose": "dataset"}}
    assert await count(db, "files") == 1
    assert await audit_actions(db) == ["file.upload"]
    assert len(await stored_objects(files_app)) == 1
    # and its download link returns the same bytes
    response = await download(files_client, file["downloadUrl"])
    assert response.status_code == 200
    assert response.content == content
    if provider == "s3":
        assert "X-Amz-Signature=" in file["downloadUrl"]
        assert "testing-secret" not in file["downloadUrl"]


@BOTH
async def test_an_upload_over_the_limit_stores_nothing(files_app, files_client, session,
                                                       db) -> None:
    world = await make_world(files_app, session)
    response = await upload(files_client, world.member, world.acme_id, "big.bin",
                            b"\x00" * (MAX_UPLOAD_BYTES + 1))
    assert response.json()["data"]["uploadFile"] == {"file": None, "userErrors": [{
        "field": ["input", "file"], "code": "FILE_TOO_LARGE",
        "message": f"The file is larger than the upload limit of {MAX_UPLOAD_BYTES} bytes"}]}
    assert await count(db, "files") == 0
    assert await stored_objects(files_app) == []


async def test_a_declared_body_far_over_the_limit_is_refused_before_reading(
        files_client, files_app, session, db) -> None:
    world = await make_world(files_app, session)
    response = await upload(files_client, world.member, world.acme_id, "huge.bin",
                            b"\x00" * (MAX_UPLOAD_BYTES + 2 * 1024 * 1024))
    assert response.status_code == 413
    assert error_codes(response.json()) == ["FILE_TOO_LARGE"]
    assert await count(db, "files") == 0


@BOTH
async def test_the_type_comes_from_the_content(files_app, files_client, session, db) -> None:
    world = await make_world(files_app, session)
    # a PNG without an extension is stored as a PNG
    payload = await uploaded(files_client, world.member, world.acme_id, "picture", PNG)
    assert payload["file"]["mimeType"] == "image/png"
    # a PNG named .pdf is refused, and nothing more is stored
    payload = await uploaded(files_client, world.member, world.acme_id, "report.pdf", PNG)
    assert payload == {"file": None, "userErrors": [{
        "field": ["input", "file"], "code": "MIME_MISMATCH",
        "message": "The name says application/pdf but the content is image/png"}]}
    # so is binary content named .json
    payload = await uploaded(files_client, world.member, world.acme_id, "x.json", b"\x00\xff")
    assert payload["userErrors"][0]["code"] == "MIME_MISMATCH"
    assert await count(db, "files") == 1
    assert len(await stored_objects(files_app)) == 1


async def test_a_tampered_or_expired_link_is_refused(files_app, files_client, session,
                                                     db) -> None:
    world = await make_world(files_app, session)
    payload = await uploaded(files_client, world.member, world.acme_id, "a.txt", b"hello")
    url = urlsplit(payload["file"]["downloadUrl"])
    query = parse_qs(url.query)
    expires, signature = int(query["expires"][0]), query["signature"][0]
    assert expires > time.time()
    file_id = url.path.rsplit("/", 1)[1]
    storage = files_app.state.storage

    tampered = "0" if signature[0] != "0" else "1"
    for path in (f"{url.path}?expires={expires}&signature={tampered}{signature[1:]}",
                 f"{url.path}?expires={expires + 3600}&signature={signature}",
                 f"{url.path}?expires=1&signature={storage.signature(file_id, 1)}",
                 f"{url.path}?expires=x&signature={signature}",
                 url.path):
        response = await files_client.get(path)
        assert response.status_code == 403, path
        assert b"hello" not in response.content
    ok = await files_client.get(f"{url.path}?{url.query}")
    assert ok.content == b"hello"
    assert ok.headers["content-type"].startswith("text/plain")


async def test_viewers_and_outsiders_cannot_upload(files_app, files_client, session,
                                                   db) -> None:
    world = await make_world(files_app, session)
    viewer = await upload(files_client, world.viewer, world.acme_id, "a.txt", b"hello")
    outsider = await upload(files_client, world.outsider, world.acme_id, "a.txt", b"hello")
    anonymous = await upload(files_client, {}, world.acme_id, "a.txt", b"hello")
    assert error_codes(viewer.json()) == ["FORBIDDEN"]
    assert error_codes(outsider.json()) == ["NOT_FOUND"]
    assert error_codes(anonymous.json()) == ["UNAUTHENTICATED"]
    assert await count(db, "files") == 0
    assert await stored_objects(files_app) == []


async def test_an_outsider_sees_no_file_and_no_link(files_app, files_client, session,
                                                    db) -> None:
    world = await make_world(files_app, session)
    payload = await uploaded(files_client, world.member, world.acme_id, "a.txt", b"hello")
    body = await gql(files_client, "query ($id: ID!) { node(id: $id) { ... on File "
                     "{ downloadUrl } } }", {"id": payload["file"]["id"]},
                     headers=world.outsider)
    assert body["data"]["node"] is None


async def test_multipart_needs_a_preflight_header(files_app, files_client, session, db) -> None:
    world = await make_world(files_app, session)
    response = await upload(files_client, world.member, world.acme_id, "a.txt", b"hello",
                            preflight=False)
    assert response.status_code == 400
    assert error_codes(response.json()) == ["PREFLIGHT_REQUIRED"]
    assert await count(db, "files") == 0


async def test_a_file_must_come_as_a_multipart_part(files_app, files_client, session,
                                                    db) -> None:
    world = await make_world(files_app, session)
    body = await gql(files_client, UPLOAD, {"input": {
        "organizationId": world.acme_id, "file": "not a file"}}, headers=world.member)
    assert body["data"]["uploadFile"]["userErrors"][0]["code"] == "REQUIRED"
    assert await count(db, "files") == 0


@BOTH
async def test_a_dataset_version_points_at_an_uploaded_file(files_app, files_client, session,
                                                            db) -> None:
    world = await make_world(files_app, session)
    dataset = await make_dataset(session, organization=world.acme)
    await session.commit()
    payload = await uploaded(files_client, world.member, world.acme_id, "train.csv", b"x,y\n")
    body = await gql(files_client, CREATE_VERSION, {"input": {
        "datasetId": to_base64("Dataset", dataset.id), "version": "1.0",
        "fileId": payload["file"]["id"]}}, headers=world.member)
    version = body["data"]["createDatasetVersion"]
    assert version["userErrors"] == []
    assert version["datasetVersion"]["file"]["checksum"] == hashlib.sha256(b"x,y\n").hexdigest()
    response = await download(files_client, version["datasetVersion"]["file"]["downloadUrl"])
    assert response.content == b"x,y\n"
