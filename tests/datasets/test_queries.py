"""Reading the datasets domain: root connections, relations both ways, pages, nodes, secrets."""

from __future__ import annotations

from datetime import UTC, datetime

from strawberry.relay import to_base64

from tests.factories.datasets import (
    make_data_source,
    make_dataset,
    make_dataset_version,
    make_file,
    make_processing_task,
)
from tests.factories.identity import make_organization
from tests.graphql import error_codes, gql, gql_data

DATASETS = """
query Datasets($first: Int, $after: String, $last: Int, $before: String,
               $filter: DatasetFilter, $orderBy: DatasetOrder) {
  datasets(first: $first, after: $after, last: $last, before: $before,
           filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { name datasetType format isPublic organization { slug } } }
  }
}
"""

DATASET_TREE = """
query DatasetTree($filter: DatasetFilter) {
  datasets(filter: $filter) { edges { node {
    name
    source { name sourceType }
    versions(orderBy: {field: VERSION, direction: DESC}) {
      totalCount
      edges { node { version dataset { name } file { filename mimeType sizeBytes status } } }
    }
    processingTasks(filter: {statusIn: [RUNNING, COMPLETED]}, orderBy: {field: NAME}) {
      edges { node {
        name status configuration
        sourceDataset { name } targetDataset { name }
      } }
    }
  } } }
}
"""

DATA_SOURCES = """
query DataSources($filter: DataSourceFilter, $orderBy: DataSourceOrder) {
  dataSources(filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { node { name sourceType isActive organization { slug } } }
  }
}
"""

FILES = """
query Files($filter: FileFilter, $orderBy: FileOrder) {
  files(filter: $filter, orderBy: $orderBy) {
    edges { node { filename mimeType sizeBytes storageProvider checksum status } }
  }
}
"""

DATA_SOURCE_FIELDS = """
{ __type(name: "DataSource") { fields { name } } }
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Dataset { name }
    ... on DatasetVersion { version }
    ... on DataSource { name }
    ... on DataProcessingTask { name }
    ... on File { filename }
  }
}
"""

DELETED = datetime(2024, 1, 1, tzinfo=UTC)


def names(data: dict, root: str = "datasets") -> list[str]:
    return [e["node"]["name"] for e in data[root]["edges"]]


async def test_datasets_are_filtered_and_ordered(member_client, session) -> None:
    # given
    org = await make_organization(session, slug="acme")
    other = await make_organization(session, slug="other")
    await make_dataset(session, organization=org, name="alpha", dataset_type="text")
    await make_dataset(session, organization=org, name="beta", dataset_type="image")
    await make_dataset(session, organization=org, name="gamma", dataset_type="text")
    await make_dataset(session, organization=org, name="omega", dataset_type="text",
                       deleted_at=DELETED)
    await make_dataset(session, organization=other, name="delta", dataset_type="text")
    await session.commit()
    client = await member_client(org, other)

    # when
    data = await gql_data(client, DATASETS, {
        "filter": {"organizationId": to_base64("Organization", org.id),
                   "datasetTypeIn": ["text"]},
        "orderBy": {"field": "NAME", "direction": "DESC"},
    })

    # then
    conn = data["datasets"]
    assert conn["totalCount"] == 2
    assert [e["node"] for e in conn["edges"]] == [
        {"name": "gamma", "datasetType": "text", "format": "parquet", "isPublic": False,
         "organization": {"slug": "acme"}},
        {"name": "alpha", "datasetType": "text", "format": "parquet", "isPublic": False,
         "organization": {"slug": "acme"}},
    ]
    assert conn["pageInfo"]["hasNextPage"] is False
    assert conn["pageInfo"]["hasPreviousPage"] is False


async def test_name_contains_and_ascending_order(member_client, session) -> None:
    # given: the reader's organization's datasets, and a matching one of another organization
    org = await make_organization(session)
    other = await make_organization(session)
    for name in ("train-b", "eval", "train-a", "train-c"):
        await make_dataset(session, organization=org, name=name)
    await make_dataset(session, organization=other, name="train-0")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, DATASETS, {"filter": {"nameContains": "TRAIN"},
                                             "orderBy": {"field": "NAME"}})

    # then
    assert names(data) == ["train-a", "train-b", "train-c"]
    assert data["datasets"]["totalCount"] == 3


async def test_pages_forward_and_backward(member_client, session) -> None:
    # given: five datasets d1..d5, sorted by name
    org = await make_organization(session)
    for i in (3, 1, 5, 2, 4):
        await make_dataset(session, organization=org, name=f"d{i}")
    await session.commit()
    client = await member_client(org)
    order = {"field": "NAME"}

    # when: two pages forward
    first = await gql_data(client, DATASETS, {"first": 2, "orderBy": order})
    second = await gql_data(client, DATASETS, {
        "first": 2, "after": first["datasets"]["pageInfo"]["endCursor"], "orderBy": order})
    # and the page before the second one's start, backward
    back = await gql_data(client, DATASETS, {
        "last": 2, "before": second["datasets"]["pageInfo"]["startCursor"], "orderBy": order})
    tail = await gql_data(client, DATASETS, {"last": 2, "orderBy": order})

    # then
    assert names(first) == ["d1", "d2"]
    assert first["datasets"]["pageInfo"]["hasNextPage"] is True
    assert first["datasets"]["pageInfo"]["hasPreviousPage"] is False
    assert names(second) == ["d3", "d4"]
    assert second["datasets"]["pageInfo"]["hasNextPage"] is True
    assert second["datasets"]["pageInfo"]["hasPreviousPage"] is True
    assert names(back) == ["d1", "d2"]
    assert back["datasets"]["pageInfo"]["hasPreviousPage"] is False
    assert back["datasets"]["pageInfo"]["hasNextPage"] is True
    assert names(tail) == ["d4", "d5"]
    assert tail["datasets"]["pageInfo"]["hasPreviousPage"] is True
    assert all(p["datasets"]["totalCount"] == 5 for p in (first, second, back, tail))


async def test_dataset_relations_both_ways(member_client, session) -> None:
    # given
    org = await make_organization(session)
    source = await make_data_source(session, organization=org, name="warehouse",
                                    source_type="mysql")
    raw = await make_dataset(session, organization=org, name="raw", source=source)
    clean = await make_dataset(session, organization=org, name="clean")
    file = await make_file(session, organization=org, filename="raw-v2.parquet",
                           mime_type="application/parquet", size_bytes=5_000_000_000,
                           status="ready")
    await make_dataset_version(session, dataset=raw, version="v1")
    await make_dataset_version(session, dataset=raw, version="v2", file=file)
    await make_processing_task(session, source_dataset=raw, target_dataset=clean,
                               name="dedupe", status="running",
                               configuration={"dsn": "pg://x", "api_key": "sk-123"})
    await make_processing_task(session, source_dataset=raw, name="export", status="completed")
    await make_processing_task(session, source_dataset=raw, name="queued", status="queued")
    await make_processing_task(session, source_dataset=clean, name="other", status="running")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, DATASET_TREE, {"filter": {"nameContains": "raw"}})

    # then
    assert [e["node"] for e in data["datasets"]["edges"]] == [{
        "name": "raw",
        "source": {"name": "warehouse", "sourceType": "mysql"},
        "versions": {"totalCount": 2, "edges": [
            {"node": {"version": "v2", "dataset": {"name": "raw"},
                      "file": {"filename": "raw-v2.parquet", "mimeType": "application/parquet",
                               "sizeBytes": 5_000_000_000, "status": "READY"}}},
            {"node": {"version": "v1", "dataset": {"name": "raw"}, "file": None}},
        ]},
        "processingTasks": {"edges": [
            {"node": {"name": "dedupe", "status": "RUNNING",
                      "configuration": {"dsn": "pg://x", "api_key": "***"},
                      "sourceDataset": {"name": "raw"}, "targetDataset": {"name": "clean"}}},
            {"node": {"name": "export", "status": "COMPLETED", "configuration": {},
                      "sourceDataset": {"name": "raw"}, "targetDataset": None}},
        ]},
    }]


async def test_soft_deleted_dataset_is_hidden_everywhere(member_client, session) -> None:
    # given: a version and a task still point at a deleted dataset
    org = await make_organization(session)
    gone = await make_dataset(session, organization=org, name="gone", deleted_at=DELETED)
    kept = await make_dataset(session, organization=org, name="kept")
    version = await make_dataset_version(session, dataset=gone, version="v1")
    task = await make_processing_task(session, source_dataset=kept, target_dataset=gone,
                                      name="t")
    await session.commit()
    client = await member_client(org)

    # when
    listed = await gql_data(client, DATASETS, {})
    by_id = await gql(client, NODE, {"id": to_base64("Dataset", gone.id)})
    version_data = await gql_data(client, """query($id: ID!) { node(id: $id) {
        ... on DatasetVersion { version dataset { name } } } }""",
                                  {"id": to_base64("DatasetVersion", version.id)})
    task_data = await gql_data(client, """query($id: ID!) { node(id: $id) {
        ... on DataProcessingTask { sourceDataset { name } targetDataset { name } } } }""",
                               {"id": to_base64("DataProcessingTask", task.id)})

    # then
    assert names(listed) == ["kept"]
    assert listed["datasets"]["totalCount"] == 1
    assert by_id["data"] == {"node": None}
    assert error_codes(by_id) == ["NOT_FOUND"]
    assert version_data["node"] == {"version": "v1", "dataset": None}
    assert task_data["node"] == {"sourceDataset": {"name": "kept"}, "targetDataset": None}


async def test_data_sources_never_expose_connection_info(member_client, session) -> None:
    # given
    org = await make_organization(session, slug="acme")
    await make_data_source(session, organization=org, name="lake", source_type="s3",
                           connection_info_encrypted=b"\x00secret")
    await make_data_source(session, organization=org, name="crm", source_type="api")
    await make_data_source(session, organization=org, name="bi", source_type="s3")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, DATA_SOURCES, {
        "filter": {"sourceTypeIn": ["s3"]}, "orderBy": {"field": "NAME", "direction": "DESC"}})
    fields = await gql_data(client, DATA_SOURCE_FIELDS)

    # then
    assert data["dataSources"] == {"totalCount": 2, "edges": [
        {"node": {"name": "lake", "sourceType": "s3", "isActive": True,
                  "organization": {"slug": "acme"}}},
        {"node": {"name": "bi", "sourceType": "s3", "isActive": True,
                  "organization": {"slug": "acme"}}},
    ]}
    assert sorted(f["name"] for f in fields["__type"]["fields"]) == [
        "createdAt", "description", "id", "isActive", "name", "organization",
        "schemaDefinition", "sourceType", "tags", "updatedAt",
    ]


async def test_files_filtered_and_ordered_by_size(member_client, session) -> None:
    # given
    org = await make_organization(session)
    await make_file(session, organization=org, filename="a.csv", mime_type="text/csv",
                    size_bytes=10)
    await make_file(session, organization=org, filename="b.csv", mime_type="text/csv",
                    size_bytes=30)
    await make_file(session, organization=org, filename="c.png", mime_type="image/png",
                    size_bytes=20)
    await make_file(session, organization=org, filename="d.csv", mime_type="text/csv",
                    size_bytes=20, status="failed")
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, FILES, {
        "filter": {"mimeTypeIn": ["text/csv", "image/png"], "statusIn": ["UPLOADED"]},
        "orderBy": {"field": "SIZE_BYTES", "direction": "DESC"},
    })

    # then
    assert [e["node"] for e in data["files"]["edges"]] == [
        {"filename": f, "mimeType": m, "sizeBytes": s, "storageProvider": "local",
         "checksum": None, "status": "UPLOADED"}
        for f, m, s in [("b.csv", "text/csv", 30), ("c.png", "image/png", 20),
                        ("a.csv", "text/csv", 10)]
    ]


async def test_node_round_trip(member_client, session) -> None:
    # given
    org = await make_organization(session)
    source = await make_data_source(session, organization=org, name="src")
    dataset = await make_dataset(session, organization=org, name="ds", source=source)
    file = await make_file(session, organization=org, filename="f.bin")
    version = await make_dataset_version(session, dataset=dataset, version="v9", file=file)
    task = await make_processing_task(session, source_dataset=dataset, name="job")
    await session.commit()
    client = await member_client(org)
    expected = [
        ("Dataset", dataset.id, {"name": "ds"}),
        ("DatasetVersion", version.id, {"version": "v9"}),
        ("DataSource", source.id, {"name": "src"}),
        ("DataProcessingTask", task.id, {"name": "job"}),
        ("File", file.id, {"filename": "f.bin"}),
    ]

    for type_name, key, fields in expected:
        # when
        global_id = to_base64(type_name, key)
        data = await gql_data(client, NODE, {"id": global_id})

        # then
        assert data["node"] == {"__typename": type_name, "id": global_id, **fields}


ORGANIZATION_DATASETS = """
query OrganizationDatasets($first: Int, $after: String) {
  organizations(orderBy: {field: NAME}) { edges { node {
    name
    datasets(first: $first, after: $after, orderBy: {field: NAME}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { name } }
    }
  } } }
}
"""


async def test_organization_datasets_page_without_deleted(member_client, session) -> None:
    # given
    acme = await make_organization(session, name="Acme")
    bolt = await make_organization(session, name="Bolt")
    for name in ("c", "a", "b"):
        await make_dataset(session, organization=acme, name=name)
    await make_dataset(session, organization=acme, name="aa", deleted_at=DELETED)
    await make_dataset(session, organization=bolt, name="z")
    await session.commit()
    client = await member_client(acme, bolt)

    # when
    data = await gql_data(client, ORGANIZATION_DATASETS, {"first": 2})

    # then
    pages = {e["node"]["name"]: e["node"]["datasets"] for e in data["organizations"]["edges"]}
    assert [e["node"]["name"] for e in pages["Acme"]["edges"]] == ["a", "b"]
    assert pages["Acme"]["totalCount"] == 3
    assert pages["Acme"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in pages["Bolt"]["edges"]] == ["z"]
    assert pages["Bolt"]["pageInfo"]["hasNextPage"] is False
