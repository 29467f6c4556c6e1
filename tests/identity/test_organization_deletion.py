"""deleteOrganization, and the purge of deleted organizations (services/purge.py)."""

from __future__ import annotations

import base64
import uuid

from db.models import ApiKey
from services.purge import purge_deleted_organizations
from services.security.api_keys import generate_api_key
from services.storage.base import object_key
from tests.factories.datasets import make_dataset
from tests.graphql import error_codes, gql
from tests.identity.test_organizations import call, gid, given_org
from tests.knowledge.conftest import ADD, CREATE, worker
from tests.knowledge.stores import stored_chunks, upload

__all__ = ["worker"]  # a fixture

DELETE = """
mutation ($input: DeleteOrganizationInput!) {
  deleteOrganization(input: $input) { deletedOrganizationId userErrors { code } }
}"""
READS = """
query ($slug: String!, $dataset: ID!) {
  organization(slug: $slug) { id }
  node(id: $dataset) { id }
  organizations { totalCount }
}"""


async def test_a_deleted_organization_is_gone_for_its_members_and_purged_later(
    app, client, session, db, settings, worker
) -> None:
    # given Acme with a dataset, a member's API key, a stored file and a Qdrant collection
    org, people = await given_org(app, session, "owner", "admin", "member")
    dataset = await make_dataset(session, organization=org)
    key, prefix, key_hash = generate_api_key()
    session.add(ApiKey(organization_id=org.id, user_id=people["member"].user.id, name="ci",
                       prefix=prefix, key_hash=key_hash, scopes=[]))
    await session.commit()
    org_id = gid("Organization", org.id)
    file_id = await upload(client, people["owner"].headers, org_id, "notes.txt", b"hello")
    created = await call(client, people["admin"], CREATE, {
        "organizationId": org_id, "name": "kb", "vectorStore": "QDRANT"})
    collection_id = created["data"]["createKnowledgeCollection"]["collection"]["id"]
    added = await call(client, people["admin"], ADD, {
        "collectionId": collection_id, "title": "faq", "text": "Refunds take five days."})
    document_id = added["data"]["addKnowledgeDocument"]["document"]["id"]
    await worker.drain()  # the document_processing job, run here
    ids = [uuid.UUID(_raw(g)) for g in (collection_id, document_id, file_id)]
    assert await stored_chunks(app, "qdrant", ids[0], ids[1]) != []
    stored = object_key(org.id, ids[2])
    assert await app.state.storage.exists(stored)
    reads = {"slug": "acme", "dataset": gid("Dataset", dataset.id)}

    # when an admin tries, then the owner deletes it
    by_admin = await call(client, people["admin"], DELETE, {"id": org_id})
    by_owner = await call(client, people["owner"], DELETE, {"id": org_id})

    # then only the owner may, and nothing of it is readable by any former member at once
    assert error_codes(by_admin) == ["FORBIDDEN"]
    assert by_owner["data"]["deleteOrganization"] == {"deletedOrganizationId": org_id,
                                                      "userErrors": []}
    for role in ("owner", "admin", "member"):
        body = await gql(client, READS, reads, headers=people[role].headers)
        assert body["data"] == {"organization": None, "node": None,
                                "organizations": {"totalCount": 0}}, role
    response = await client.post("/graphql", json={"query": "{ viewer { username } }"},
                                 headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 401 and error_codes(response.json()) == ["API_KEY_REVOKED"]
    again = await call(client, people["owner"], DELETE, {"id": org_id})
    assert error_codes(again) == ["NOT_FOUND"]

    # when the purge runs before and after the purge period
    early = await purge_deleted_organizations(db, settings, app.state.storage)
    await db.fetch("UPDATE organizations SET deleted_at = now() - make_interval(days => $1 + 1) "
                   "WHERE id = $2", settings.organization_purge_days, org.id)
    purged = await purge_deleted_organizations(db, settings, app.state.storage)

    # then only then everything goes: rows, the stored file and the vector-store points
    assert (early, purged) == ([], [org.id])
    for table in ("organizations", "datasets", "files", "knowledge_documents", "api_keys"):
        column = "id" if table == "organizations" else "organization_id"
        assert not await db.fetch(f"SELECT 1 FROM {table} WHERE {column} = $1", org.id), table
    assert not await app.state.storage.exists(stored)
    assert await stored_chunks(app, "qdrant", ids[0], ids[1]) == []


def _raw(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]
