"""Dataset, dataset-version and data-source mutations; connection info encrypted at rest."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from strawberry.relay import to_base64

from services.security.encryption import (
    DecryptionError,
    connection_info_key,
    decrypt_json,
    row_context,
)
from services.settings import secret_key
from tests.ai_models.helpers import World, audit_actions, count, make_world
from tests.factories.datasets import make_data_source, make_dataset, make_file
from tests.graphql import error_codes, gql

DATASET_FIELDS = """__typename name description datasetType format storageLocation sizeBytes
                    rowCount schema metadata tags isPublic source { name }"""
CREATE_DATASET = f"""
mutation ($input: CreateDatasetInput!) {{
  createDataset(input: $input) {{ dataset {{ {DATASET_FIELDS} }} userErrors {{ field code }} }}
}}"""
UPDATE_DATASET = f"""
mutation ($input: UpdateDatasetInput!) {{
  updateDataset(input: $input) {{ dataset {{ {DATASET_FIELDS} }} userErrors {{ field code }} }}
}}"""
DELETE_DATASET = """
mutation ($id: ID!) { deleteDataset(input: {id: $id}) { deletedDatasetId userErrors { code } } }"""
CREATE_VERSION = """
mutation ($input: CreateDatasetVersionInput!) {
  createDatasetVersion(input: $input) {
    datasetVersion { version changesDescription sizeBytes rowCount file { filename }
                     dataset { name } }
    userErrors { field message code }
  }
}"""
SOURCE_FIELDS = "__typename name description sourceType schemaDefinition tags isActive"
CREATE_SOURCE = f"""
mutation ($input: CreateDataSourceInput!) {{
  createDataSource(input: $input) {{
    dataSource {{ id {SOURCE_FIELDS} }} userErrors {{ field message code }}
  }}
}}"""
UPDATE_SOURCE = f"""
mutation ($input: UpdateDataSourceInput!) {{
  updateDataSource(input: $input) {{ dataSource {{ {SOURCE_FIELDS} }} userErrors {{ code }} }}
}}"""
DELETE_SOURCE = """
mutation ($id: ID!) {
  deleteDataSource(input: {id: $id}) { deletedDataSourceId userErrors { code } }
}"""
DATASETS = "{ datasets { totalCount edges { node { name } } } }"
NODE = "query ($id: ID!) { node(id: $id) { id } }"
SECRET = {"host": "db.internal", "port": 5432, "user": "etl", "password": "hunter2-very-secret"}


@pytest.fixture
async def world(app, session) -> World:
    return await make_world(app, session)


def gid(type_name: str, row) -> str:
    return to_base64(type_name, row.id)


async def stored_connection_info(db) -> list[tuple[object, bytes | None]]:
    rows = await db.fetch("SELECT id, connection_info_encrypted FROM data_sources")
    return [(r[0], r[1]) for r in rows]


# -- datasets ------------------------------------------------------------------------------


async def test_a_member_creates_a_dataset_from_a_source(client, db, session, world) -> None:
    source = await make_data_source(session, organization=world.acme, name="warehouse")
    await session.commit()

    body = await gql(client, CREATE_DATASET, {"input": {
        "organizationId": world.acme_id, "name": " tickets ", "datasetType": "text",
        "format": "jsonl", "sizeBytes": 5 * 2**32, "rowCount": 1200,
        "schema": {"prompt": "string"}, "tags": ["support"], "sourceId": gid("DataSource", source),
    }}, headers=world.member)

    assert body["data"]["createDataset"] == {"userErrors": [], "dataset": {
        "__typename": "Dataset", "name": "tickets", "description": None, "datasetType": "text",
        "format": "jsonl", "storageLocation": None, "sizeBytes": 5 * 2**32, "rowCount": 1200,
        "schema": {"prompt": "string"}, "metadata": {}, "tags": ["support"], "isPublic": False,
        "source": {"name": "warehouse"}}}
    assert await audit_actions(db) == ["dataset.create"]
    trail = orjson.loads((await db.fetch("SELECT new_values::text FROM audit_logs"))[0][0])
    assert trail["name"] == "tickets" and trail["schema"] == {"prompt": "string"}


async def test_every_problem_of_a_new_dataset_comes_back_and_nothing_is_written(
    client, db, world
) -> None:
    body = await gql(client, CREATE_DATASET, {"input": {
        "organizationId": world.acme_id, "name": "", "datasetType": "Tabular Data",
        "format": "", "sizeBytes": -1, "rowCount": -3, "schema": [1], "metadata": "x",
        "tags": [""]}}, headers=world.member)

    assert body["data"]["createDataset"] == {"dataset": None, "userErrors": [
        {"field": ["input", "name"], "code": "REQUIRED"},
        {"field": ["input", "datasetType"], "code": "INVALID"},
        {"field": ["input", "format"], "code": "INVALID"},
        {"field": ["input", "sizeBytes"], "code": "OUT_OF_RANGE"},
        {"field": ["input", "rowCount"], "code": "OUT_OF_RANGE"},
        {"field": ["input", "schema"], "code": "INVALID"},
        {"field": ["input", "metadata"], "code": "INVALID"},
        {"field": ["input", "tags"], "code": "INVALID"},
    ]}
    assert await count(db, "datasets") == 0 and await count(db, "audit_logs") == 0


async def test_dataset_writes_are_refused_to_viewers_and_outsiders(
    client, db, session, world
) -> None:
    dataset = await make_dataset(session, organization=world.acme, name="d")
    foreign_source = await make_data_source(session, organization=world.other)
    await session.commit()
    create = {"input": {"organizationId": world.acme_id, "name": "x"}}
    update = {"input": {"id": gid("Dataset", dataset), "name": "hijacked"}}

    results = [
        await gql(client, CREATE_DATASET, create, headers=world.viewer),
        await gql(client, CREATE_DATASET, create, headers=world.outsider),
        await gql(client, UPDATE_DATASET, update, headers=world.viewer),
        await gql(client, UPDATE_DATASET, update, headers=world.outsider),
        await gql(client, DELETE_DATASET, {"id": gid("Dataset", dataset)},
                  headers=world.outsider),
        await gql(client, CREATE_DATASET, {"input": {**create["input"], "sourceId": gid(
            "DataSource", foreign_source)}}, headers=world.member),
    ]

    assert [error_codes(r) for r in results] == [
        ["FORBIDDEN"], ["NOT_FOUND"], ["FORBIDDEN"], ["NOT_FOUND"], ["NOT_FOUND"], ["NOT_FOUND"]]
    assert [r[0] for r in await db.fetch("SELECT name FROM datasets")] == ["d"]
    assert await count(db, "audit_logs") == 0


async def test_update_changes_sent_fields_and_clears_nulls(client, db, session, world) -> None:
    # given a dataset with a description, a format and a source
    source = await make_data_source(session, organization=world.acme, name="s")
    dataset = await make_dataset(session, organization=world.acme, name="d", format="csv",
                                 source=source)
    dataset.description = "first cut"
    await session.commit()

    # when the member sends a new name, null description and source, and no format
    body = await gql(client, UPDATE_DATASET, {"input": {
        "id": gid("Dataset", dataset), "name": "d2", "description": None, "sourceId": None,
        "isPublic": True}}, headers=world.member)

    # then those change, the format stays
    got = body["data"]["updateDataset"]["dataset"]
    assert (got["name"], got["description"], got["source"], got["format"], got["isPublic"]) == (
        "d2", None, None, "csv", True)
    row = (await db.fetch("SELECT name, description, source_id, format FROM datasets"))[0]
    assert tuple(row) == ("d2", None, None, "csv")
    trail = (await db.fetch("SELECT old_values::text FROM audit_logs"))[0][0]
    assert orjson.loads(trail) == {"name": "d", "description": "first cut",
                                   "source_id": str(source.id), "is_public": False}


async def test_a_deleted_dataset_disappears_from_reads(client, db, session, world) -> None:
    doomed = await make_dataset(session, organization=world.acme, name="doomed")
    await make_dataset(session, organization=world.acme, name="kept")
    await session.commit()

    body = await gql(client, DELETE_DATASET, {"id": gid("Dataset", doomed)},
                     headers=world.member)
    viewer = await gql(client, DELETE_DATASET, {"id": gid("Dataset", doomed)},
                       headers=world.viewer)

    assert body["data"]["deleteDataset"] == {"deletedDatasetId": gid("Dataset", doomed),
                                             "userErrors": []}
    assert error_codes(viewer) == ["NOT_FOUND"]  # already gone
    assert (await gql(client, NODE, {"id": gid("Dataset", doomed)}, headers=world.member)
            )["data"] == {"node": None}
    assert (await gql(client, DATASETS, headers=world.member))["data"]["datasets"] == {
        "totalCount": 1, "edges": [{"node": {"name": "kept"}}]}
    assert await count(db, "datasets") == 2
    assert await audit_actions(db) == ["dataset.delete"]


# -- dataset versions ----------------------------------------------------------------------


async def test_a_version_records_its_file_and_its_number_is_unique(
    client, db, session, world
) -> None:
    dataset = await make_dataset(session, organization=world.acme, name="d")
    file = await make_file(session, organization=world.acme, filename="d-v1.parquet")
    await session.commit()
    variables = {"input": {"datasetId": gid("Dataset", dataset), "version": "v1",
                           "changesDescription": "first import", "rowCount": 10,
                           "sizeBytes": 2**40, "fileId": gid("File", file)}}

    first = await gql(client, CREATE_VERSION, variables, headers=world.member)
    second = await gql(client, CREATE_VERSION, variables, headers=world.member)

    assert first["data"]["createDatasetVersion"] == {"userErrors": [], "datasetVersion": {
        "version": "v1", "changesDescription": "first import", "sizeBytes": 2**40,
        "rowCount": 10, "file": {"filename": "d-v1.parquet"}, "dataset": {"name": "d"}}}
    assert second["data"]["createDatasetVersion"] == {"datasetVersion": None, "userErrors": [{
        "field": ["input", "version"], "code": "TAKEN",
        "message": "This dataset already has a version 'v1'"}]}
    assert await count(db, "dataset_versions") == 1
    assert await audit_actions(db) == ["dataset_version.create"]


async def test_a_version_cannot_use_another_organizations_file(
    client, db, session, world
) -> None:
    dataset = await make_dataset(session, organization=world.acme)
    foreign = await make_file(session, organization=world.other)
    deleted = await make_file(session, organization=world.acme)
    deleted.deleted_at = datetime.now(UTC)
    await session.commit()

    results = [await gql(client, CREATE_VERSION, {"input": {
        "datasetId": gid("Dataset", dataset), "version": "v1", "fileId": gid("File", f)}},
        headers=world.member) for f in (foreign, deleted)]
    invalid = await gql(client, CREATE_VERSION, {"input": {
        "datasetId": gid("Dataset", dataset), "version": "v 1", "rowCount": -5}},
        headers=world.member)
    viewer = await gql(client, CREATE_VERSION, {"input": {
        "datasetId": gid("Dataset", dataset), "version": "v1"}}, headers=world.viewer)

    assert [error_codes(r) for r in results] == [["NOT_FOUND"], ["NOT_FOUND"]]
    assert [(e["field"], e["code"]) for e in invalid["data"]["createDatasetVersion"][
        "userErrors"]] == [(["input", "version"], "INVALID"), (["input", "rowCount"],
                                                               "OUT_OF_RANGE")]
    assert error_codes(viewer) == ["FORBIDDEN"]
    assert await count(db, "dataset_versions") == 0 and await count(db, "audit_logs") == 0


# -- data sources --------------------------------------------------------------------------


async def test_connection_info_is_stored_encrypted_and_never_returned(
    client, db, app, world
) -> None:
    # given a member creating a source with credentials
    body = await gql(client, CREATE_SOURCE, {"input": {
        "organizationId": world.acme_id, "name": "warehouse", "sourceType": "postgresql",
        "connectionInfo": SECRET, "schemaDefinition": {"tables": ["orders"]}}},
        headers=world.member)

    # then the answer and the audit trail do not hold them
    payload = body["data"]["createDataSource"]
    assert payload["userErrors"] == []
    assert {k: v for k, v in payload["dataSource"].items() if k != "id"} == {
        "__typename": "DataSource", "name": "warehouse", "description": None,
        "sourceType": "postgresql", "schemaDefinition": {"tables": ["orders"]}, "tags": [],
        "isActive": True}
    assert "hunter2" not in orjson.dumps(body).decode()
    trail = (await db.fetch("SELECT new_values::text FROM audit_logs"))[0][0]
    assert "hunter2" not in trail and orjson.loads(trail)["connection_info"] == "set"

    # and the stored bytes are ciphertext that the app key (not the JWT key) opens, on this row
    [(source_id, blob)] = await stored_connection_info(db)
    settings = app.state.settings
    assert blob is not None and b"hunter2" not in blob and b"db.internal" not in blob
    key = connection_info_key(settings)
    assert key != secret_key(settings).encode()
    assert decrypt_json(key, blob, context=row_context("data_sources", source_id)) == SECRET
    with pytest.raises(DecryptionError):
        decrypt_json(key, blob, context=row_context("data_sources", world.acme.id))


async def test_connection_info_is_kept_when_absent_replaced_when_sent_cleared_when_null(
    client, db, app, world
) -> None:
    created = await gql(client, CREATE_SOURCE, {"input": {
        "organizationId": world.acme_id, "name": "s", "sourceType": "mysql",
        "connectionInfo": SECRET}}, headers=world.member)
    source_id = created["data"]["createDataSource"]["dataSource"]["id"]
    key = connection_info_key(app.state.settings)

    async def stored():
        [(row_id, blob)] = await stored_connection_info(db)
        return None if blob is None else decrypt_json(
            key, blob, context=row_context("data_sources", row_id))

    renamed = await gql(client, UPDATE_SOURCE, {"input": {"id": source_id, "name": "s2"}},
                        headers=world.member)
    after_rename = await stored()
    await gql(client, UPDATE_SOURCE, {"input": {"id": source_id,
                                                "connectionInfo": {"host": "new"}}},
              headers=world.member)
    after_replace = await stored()
    await gql(client, UPDATE_SOURCE, {"input": {"id": source_id, "connectionInfo": None}},
              headers=world.member)

    assert renamed["data"]["updateDataSource"]["dataSource"]["name"] == "s2"
    assert after_rename == SECRET
    assert after_replace == {"host": "new"}
    assert await stored() is None
    trails = await db.fetch("SELECT old_values::text, new_values::text FROM audit_logs "
                            "WHERE action = 'data_source.update' ORDER BY created_at")
    assert [(orjson.loads(o), orjson.loads(n)) for o, n in trails] == [
        ({"name": "s"}, {"name": "s2"}),
        ({"connection_info": "set"}, {"connection_info": "replaced"}),
        ({"connection_info": "set"}, {"connection_info": None})]


async def test_bad_data_source_input_writes_nothing(client, db, world) -> None:
    body = await gql(client, CREATE_SOURCE, {"input": {
        "organizationId": world.acme_id, "name": "x" * 201, "sourceType": "9db",
        "connectionInfo": "postgres://u:p@h/db"}}, headers=world.member)

    assert [(e["field"], e["code"]) for e in body["data"]["createDataSource"]["userErrors"]] == [
        (["input", "name"], "TOO_LONG"), (["input", "sourceType"], "INVALID"),
        (["input", "connectionInfo"], "INVALID")]
    assert await count(db, "data_sources") == 0 and await count(db, "audit_logs") == 0


async def test_deleting_a_source_removes_its_credentials_and_keeps_its_datasets(
    client, db, session, world
) -> None:
    source = await make_data_source(session, organization=world.acme,
                                    connection_info_encrypted=b"\x01opaque")
    await make_dataset(session, organization=world.acme, name="d", source=source)
    await session.commit()

    viewer = await gql(client, DELETE_SOURCE, {"id": gid("DataSource", source)},
                       headers=world.viewer)
    outsider = await gql(client, DELETE_SOURCE, {"id": gid("DataSource", source)},
                         headers=world.outsider)
    deleted = await gql(client, DELETE_SOURCE, {"id": gid("DataSource", source)},
                        headers=world.member)

    assert error_codes(viewer) == ["FORBIDDEN"] and error_codes(outsider) == ["NOT_FOUND"]
    assert deleted["data"]["deleteDataSource"] == {
        "deletedDataSourceId": gid("DataSource", source), "userErrors": []}
    assert await count(db, "data_sources") == 0
    assert tuple((await db.fetch("SELECT name, source_id FROM datasets"))[0]) == ("d", None)
    assert await audit_actions(db) == ["data_source.delete"]
