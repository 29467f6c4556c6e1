"""Issue #6's isolation, end to end through the real paths: organization B (its owner and its
viewer) finds nothing of organization A by full-text search, cannot retrieve from A's
knowledge collection, never gets A's chunks among its own hits, cannot read A's files'
download links, and reads no system log; A's own people are the positive controls."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from strawberry.relay import to_base64

from services.knowledge.worker import IngestionWorker
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_message
from tests.factories.datasets import make_file
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.system import make_system_log
from tests.graphql import error_codes, gql

WORD = "zephyrquartz"  # in A's chat, A's document and a system log; nowhere in B
TEXT = f"The {WORD} budget covers the Rotterdam warehouse and its delivery vans."
SEARCH = """query ($q: String!, $types: [SearchType!]) { search(query: $q, types: $types) {
  edges { node { highlight node { __typename
    ... on ChatMessage { id } ... on KnowledgeDocument { id } ... on SystemLog { id } } } } } }"""
CREATE = """mutation ($input: CreateKnowledgeCollectionInput!) {
  createKnowledgeCollection(input: $input) { collection { id } userErrors { code } } }"""
ADD = """mutation ($input: AddKnowledgeDocumentInput!) {
  addKnowledgeDocument(input: $input) { document { id } userErrors { code } } }"""
ASK = """mutation ($input: RagQueryInput!) { ragQuery(input: $input) {
  hits { content document { id } } userErrors { code } } }"""
FILE = """query ($id: ID!) { node(id: $id) { ... on File { downloadUrl } } }"""
FILES = """query ($ids: [ID!]!) { nodes(ids: $ids) { ... on File { downloadUrl } } }"""


@dataclass
class Orgs:
    headers: dict[str, dict[str, str]]
    ids: dict[str, str]  # what A and B own, by name: global IDs


async def collection_with_text(client, headers, org_id: str, text: str) -> tuple[str, str]:
    body = await gql(client, CREATE, {"input": {"organizationId": org_id, "name": "kb"}},
                     headers=headers)
    collection_id = body["data"]["createKnowledgeCollection"]["collection"]["id"]
    body = await gql(client, ADD, {"input": {"collectionId": collection_id, "title": "plan",
                                             "text": text}}, headers=headers)
    assert body["data"]["addKnowledgeDocument"]["userErrors"] == [], body
    return collection_id, body["data"]["addKnowledgeDocument"]["document"]["id"]


@pytest.fixture
async def orgs(app, client, session) -> Orgs:
    a, b = await make_organization(session), await make_organization(session)
    people = {name: await make_user(session, username=name)
              for name in ("a_admin", "a_viewer", "b_owner", "b_viewer", "root")}
    people["root"].is_superuser = True
    for name, org, role in (("a_admin", a, "admin"), ("a_viewer", a, "viewer"),
                            ("b_owner", b, "owner"), ("b_viewer", b, "viewer")):
        await make_membership(session, organization=org, user=people[name], role=role)
    model = await make_model(session, organization=a)
    chat = await make_chat_session(session, user=people["a_admin"], model=model)
    message = await make_message(session, chat=chat, role="user", content=TEXT,
                                 sequence_number=1)
    a_file = await make_file(session, organization=a, filename="a.csv")
    b_file = await make_file(session, organization=b, filename="b.csv")
    log = await make_system_log(session, message=f"{WORD} importer failed")
    await session.commit()
    headers = {name: await bearer_headers(app, session, user) for name, user in people.items()}
    ids = {"message": to_base64("ChatMessage", message.id), "a_file": to_base64("File", a_file.id),
           "b_file": to_base64("File", b_file.id), "log": to_base64("SystemLog", log.id)}
    # the same passage in both organizations' knowledge bases, ingested for real
    ids["a_collection"], ids["a_document"] = await collection_with_text(
        client, headers["a_admin"], to_base64("Organization", a.id), TEXT)
    ids["b_collection"], ids["b_document"] = await collection_with_text(
        client, headers["b_owner"], to_base64("Organization", b.id),
        TEXT.replace(WORD, "ordinary"))
    await IngestionWorker(app.state.db, None).drain()  # the documents are text
    return Orgs(headers, ids)


def found(body: dict[str, Any]) -> list[tuple[str, str]]:
    assert "errors" not in body, body
    return sorted((e["node"]["node"]["__typename"], e["node"]["node"]["id"])
                  for e in body["data"]["search"]["edges"])


async def test_another_organizations_words_find_nothing(client, orgs) -> None:
    ids = orgs.ids
    own = await gql(client, SEARCH, {"q": WORD}, headers=orgs.headers["a_viewer"])
    assert found(own) == sorted([("ChatMessage", ids["message"]),
                                 ("KnowledgeDocument", ids["a_document"])])  # control
    for caller in ("b_owner", "b_viewer"):
        for query in (WORD, "zephyrqu", f'"{WORD} budget"'):  # words, prefix, phrase
            for types in (None, ["CHAT_MESSAGE"], ["KNOWLEDGE_DOCUMENT"], ["SYSTEM_LOG"]):
                body = await gql(client, SEARCH, {"q": query, "types": types},
                                 headers=orgs.headers[caller])
                assert found(body) == [], (caller, query, types)


async def test_system_logs_are_found_by_superusers_only(client, orgs) -> None:
    for caller in ("a_admin", "b_owner"):  # audit:read in an organization is not enough
        body = await gql(client, SEARCH, {"q": "importer", "types": ["SYSTEM_LOG"]},
                         headers=orgs.headers[caller])
        assert found(body) == [], caller
    body = await gql(client, SEARCH, {"q": "importer", "types": ["SYSTEM_LOG"]},
                     headers=orgs.headers["root"])
    assert found(body) == [("SystemLog", orgs.ids["log"])]
    assert "<mark>importer</mark>" in body["data"]["search"]["edges"][0]["node"]["highlight"]


async def test_retrieval_stays_inside_the_organization(client, db, orgs) -> None:
    ids = orgs.ids
    ask_a = {"input": {"collectionId": ids["a_collection"], "query": "warehouse delivery"}}
    for caller in ("b_owner", "b_viewer"):
        body = await gql(client, ASK, ask_a, headers=orgs.headers[caller])
        assert error_codes(body) == ["NOT_FOUND"], caller
        assert body["data"] is None
    assert (await db.fetch("SELECT count(*) FROM rag_queries"))[0][0] == 0

    # B's own collection: only B's chunk, although A's identical passage is just as close
    body = await gql(client, ASK, {"input": {"collectionId": ids["b_collection"],
                                             "query": "warehouse delivery", "topK": 10}},
                     headers=orgs.headers["b_viewer"])
    hits = body["data"]["ragQuery"]["hits"]
    assert [h["document"]["id"] for h in hits] == [ids["b_document"]]
    assert WORD not in str(hits)
    body = await gql(client, ASK, ask_a, headers=orgs.headers["a_viewer"])  # control
    assert [h["document"]["id"] for h in body["data"]["ragQuery"]["hits"]] == [
        ids["a_document"]]


async def test_another_organizations_download_links_are_out_of_reach(app, client, orgs) -> None:
    ids = orgs.ids
    own = await gql(client, FILE, {"id": ids["a_file"]}, headers=orgs.headers["a_viewer"])
    assert own["data"]["node"]["downloadUrl"]  # control
    for caller in ("b_owner", "b_viewer"):
        body = await gql(client, FILE, {"id": ids["a_file"]}, headers=orgs.headers[caller])
        assert body["data"] == {"node": None} and error_codes(body) == ["NOT_FOUND"]
        body = await gql(client, FILES, {"ids": [ids["a_file"], ids["b_file"]]},
                         headers=orgs.headers[caller])
        assert body["data"]["nodes"][0] is None
        assert body["data"]["nodes"][1]["downloadUrl"]  # B's own file: readable

    # a link B holds for its own file does not open A's file: the signature names the file
    b_url = urlsplit((await gql(client, FILE, {"id": ids["b_file"]},
                                headers=orgs.headers["b_owner"]))["data"]["node"]["downloadUrl"])
    a_file_id = urlsplit(own["data"]["node"]["downloadUrl"]).path.rsplit("/", 1)[1]
    query = parse_qs(b_url.query)
    assert int(query["expires"][0]) > time.time()
    response = await client.get(f"/files/{a_file_id}?{b_url.query}")
    assert response.status_code == 403
    response = await client.get(f"/files/{a_file_id}")
    assert response.status_code == 403
