"""Reading knowledge collections, their documents and RAG queries through GraphQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from strawberry.relay import to_base64

from tests.factories.datasets import make_file
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.knowledge import make_collection, make_document, make_rag_query
from tests.graphql import gql_data

COLLECTIONS = """
query Collections($first: Int, $after: String, $filter: KnowledgeCollectionFilter,
                  $orderBy: KnowledgeCollectionOrder) {
  knowledgeCollections(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { __typename name collectionType vectorStore config organization { slug } } }
  }
}
"""

DOCUMENTS = """
query Documents($first: Int, $after: String, $filter: KnowledgeDocumentFilter) {
  knowledgeCollections {
    edges { node {
      name
      documents(first: $first, after: $after, filter: $filter, orderBy: {field: FILENAME}) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { filename uploadStatus file { filename } collection { name } } }
      }
    } }
  }
}
"""

RAG_QUERIES = """
query RagQueries {
  knowledgeCollections {
    edges { node {
      ragQueries {
        totalCount
        edges { node { queryText resultCount user { username } collection { name } } }
      }
    } }
  }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on KnowledgeCollection { name }
    ... on KnowledgeDocument { filename }
    ... on RagQuery { queryText }
  }
}
"""


async def test_collections_filtered_and_ordered_without_deleted_ones(member_client,
                                                                      session) -> None:
    # given: acme's collections, and a matching one of an organization the reader is not in
    org = await make_organization(session, slug="acme")
    other = await make_organization(session, slug="other")
    await make_collection(session, organization=other, name="other-manuals")
    await make_collection(session, organization=org, name="manuals",
                          config={"qdrant_api_key": "qk-1", "distance": "cosine"})
    await make_collection(session, organization=org, name="faq")
    await make_collection(session, organization=org, name="images", collection_type="image")
    await make_collection(session, organization=org, name="old-faq",
                          deleted_at=datetime.now(UTC))
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, COLLECTIONS, {
        "filter": {"collectionType": "document", "vectorStore": "PGVECTOR"},
        "orderBy": {"field": "NAME", "direction": "DESC"},
    })

    # then
    conn = data["knowledgeCollections"]
    assert conn["totalCount"] == 2
    assert [e["node"] for e in conn["edges"]] == [
        {"__typename": "KnowledgeCollection", "name": "manuals", "collectionType": "document",
         "vectorStore": "PGVECTOR", "config": {"qdrant_api_key": "***", "distance": "cosine"},
         "organization": {"slug": "acme"}},
        {"__typename": "KnowledgeCollection", "name": "faq", "collectionType": "document",
         "vectorStore": "PGVECTOR", "config": {}, "organization": {"slug": "acme"}},
    ]


async def test_collections_paginate_with_first_and_after(member_client, session) -> None:
    # given
    org = await make_organization(session)
    for name in ("a", "b", "c"):
        await make_collection(session, organization=org, name=name)
    await session.commit()
    client = await member_client(org)
    variables = {"first": 2, "orderBy": {"field": "NAME"}}

    # when
    first = (await gql_data(client, COLLECTIONS, variables))["knowledgeCollections"]
    rest = (await gql_data(client, COLLECTIONS, {
        **variables, "after": first["pageInfo"]["endCursor"]}))["knowledgeCollections"]

    # then
    assert [e["node"]["name"] for e in first["edges"]] == ["a", "b"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in rest["edges"]] == ["c"]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (
        False, True)
    assert first["totalCount"] == rest["totalCount"] == 3


async def test_documents_of_a_collection_with_their_file_paged(member_client, session) -> None:
    # given
    org = await make_organization(session)
    collection = await make_collection(session, organization=org, name="manuals")
    pdf = await make_file(session, organization=org, filename="guide.pdf")
    await make_document(session, collection=collection, filename="c.txt")
    await make_document(session, collection=collection, filename="a.pdf", file=pdf)
    await make_document(session, collection=collection, filename="b.txt")
    await make_document(session, collection=collection, filename="failed.txt",
                        upload_status="failed")
    await make_document(session, collection=collection, filename="gone.txt",
                        deleted_at=datetime.now(UTC))
    await session.commit()
    client = await member_client(org)
    variables = {"first": 2, "filter": {"uploadStatusIn": ["COMPLETED", "PROCESSING"]}}

    # when
    first = await gql_data(client, DOCUMENTS, variables)
    [page1] = first["knowledgeCollections"]["edges"]
    after = page1["node"]["documents"]["pageInfo"]["endCursor"]
    [page2] = (await gql_data(client, DOCUMENTS, {**variables, "after": after})
               )["knowledgeCollections"]["edges"]

    # then
    docs1, docs2 = page1["node"]["documents"], page2["node"]["documents"]
    assert docs1["totalCount"] == docs2["totalCount"] == 3
    assert [e["node"] for e in docs1["edges"]] == [
        {"filename": "a.pdf", "uploadStatus": "COMPLETED", "file": {"filename": "guide.pdf"},
         "collection": {"name": "manuals"}},
        {"filename": "b.txt", "uploadStatus": "COMPLETED", "file": None,
         "collection": {"name": "manuals"}},
    ]
    assert docs1["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["filename"] for e in docs2["edges"]] == ["c.txt"]
    assert (docs2["pageInfo"]["hasNextPage"], docs2["pageInfo"]["hasPreviousPage"]) == (
        False, True)


async def test_rag_queries_newest_first_with_user_and_collection(member_client, session) -> None:
    # given
    org = await make_organization(session)
    alice = await make_user(session, username="alice")
    await make_membership(session, organization=org, user=alice)  # so the reader sees her
    collection = await make_collection(session, organization=org, name="manuals")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    await make_rag_query(session, collection=collection, user=alice, query_text="first?",
                         result_count=3, created_at=start)
    await make_rag_query(session, collection=collection, query_text="second?",
                         created_at=start + timedelta(hours=1))
    await session.commit()
    client = await member_client(org)

    # when
    data = await gql_data(client, RAG_QUERIES)

    # then
    [edge] = data["knowledgeCollections"]["edges"]
    assert edge["node"]["ragQueries"] == {"totalCount": 2, "edges": [
        {"node": {"queryText": "second?", "resultCount": 0, "user": None,
                  "collection": {"name": "manuals"}}},
        {"node": {"queryText": "first?", "resultCount": 3, "user": {"username": "alice"},
                  "collection": {"name": "manuals"}}},
    ]}


async def test_node_round_trip_of_each_type(member_client, session) -> None:
    # given
    org = await make_organization(session)
    collection = await make_collection(session, organization=org, name="manuals")
    document = await make_document(session, collection=collection, filename="a.pdf")
    query = await make_rag_query(session, collection=collection, query_text="why?")
    await session.commit()
    client = await member_client(org)

    for type_name, row, fields in [
        ("KnowledgeCollection", collection, {"name": "manuals"}),
        ("KnowledgeDocument", document, {"filename": "a.pdf"}),
        ("RagQuery", query, {"queryText": "why?"}),
    ]:
        global_id = to_base64(type_name, row.id)

        # when
        data = await gql_data(client, NODE, {"id": global_id})

        # then
        assert data["node"] == {"__typename": type_name, "id": global_id, **fields}
