"""Fixtures of the knowledge tests: an organization with every role, and its ingestion worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.relay import to_base64

from services.knowledge.worker import IngestionWorker, storage_reader
from tests.chat.conftest import stub_url  # noqa: F401 (the OpenAI-compatible stub server)
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import gql


@dataclass
class Acme:
    """An organization with its admin, a member, a viewer, and an outsider (owner elsewhere)."""

    org: Any
    other: Any
    headers: dict[str, dict[str, str]]

    @property
    def org_id(self) -> str:
        return to_base64("Organization", self.org.id)


@pytest.fixture
async def acme(app, session) -> Acme:
    org, other = await make_organization(session), await make_organization(session)
    users = {role: await make_user(session, username=role)
             for role in ("admin", "member", "viewer", "outsider")}
    for role in ("admin", "member", "viewer"):
        await make_membership(session, organization=org, user=users[role], role=role)
    await make_membership(session, organization=other, user=users["outsider"], role="owner")
    headers = {role: await bearer_headers(app, session, user) for role, user in users.items()}
    return Acme(org, other, headers)


@pytest.fixture
def worker(app) -> IngestionWorker:
    """`await worker.drain()` runs ingestion to the end, in-process, as a document_processing
    job's worker would (the app runs no worker in tests)."""
    return IngestionWorker(app.state.db, app.state.pubsub, read_file=storage_reader(
        app.state.storage, app.state.settings.max_upload_bytes))


CREATE = """mutation ($input: CreateKnowledgeCollectionInput!) {
  createKnowledgeCollection(input: $input) {
    collection { id name vectorStore embeddingModel chunkSize chunkOverlap documentCount }
    userErrors { field message code } } }"""
ADD = """mutation ($input: AddKnowledgeDocumentInput!) {
  addKnowledgeDocument(input: $input) {
    document { id filename uploadStatus chunkCount processingError }
    userErrors { field message code } } }"""
ASK = """mutation ($input: RagQueryInput!) {
  ragQuery(input: $input) {
    hits { score content position document { id filename } } answer queryTimeMs
    userErrors { field message code } } }"""


async def run(client, acme: Acme, document: str, input: dict, caller: str = "admin") -> dict:
    return await gql(client, document, {"input": input}, headers=acme.headers[caller])


async def new_collection(client, acme: Acme, **input: Any) -> str:
    body = await run(client, acme, CREATE, {"organizationId": acme.org_id, "name": "kb", **input})
    assert body["data"]["createKnowledgeCollection"]["userErrors"] == [], body
    return body["data"]["createKnowledgeCollection"]["collection"]["id"]


async def add_text(client, acme: Acme, collection_id: str, title: str, text: str) -> str:
    body = await run(client, acme, ADD, {"collectionId": collection_id, "title": title,
                                         "text": text})
    assert body["data"]["addKnowledgeDocument"]["userErrors"] == [], body
    return body["data"]["addKnowledgeDocument"]["document"]["id"]
