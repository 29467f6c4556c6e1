"""The document fields the issue names: status (PENDING/PROCESSING/READY/FAILED), error, title."""

from __future__ import annotations

import base64

import pytest

from tests.factories.identity import make_organization
from tests.factories.knowledge import make_collection, make_document
from tests.graphql import gql_data

DOCUMENT = ("query ($id: ID!) { node(id: $id) { ... on KnowledgeDocument "
            "{ title status error chunkCount uploadStatus } } }")


@pytest.mark.parametrize(("stored", "status"), [
    ("uploading", "PENDING"), ("processing", "PROCESSING"), ("completed", "READY"),
    ("failed", "FAILED"),
])
async def test_status_error_and_title(member_client, session, stored, status) -> None:
    org = await make_organization(session)
    collection = await make_collection(session, organization=org)
    document = await make_document(session, collection=collection, filename="Handbook",
                                   upload_status=stored)
    document.processing_error = "bad PDF" if stored == "failed" else None
    await session.commit()
    client = await member_client(org)
    gid = base64.b64encode(f"KnowledgeDocument:{document.id}".encode()).decode()

    data = await gql_data(client, DOCUMENT, {"id": gid})

    assert data["node"] == {
        "title": "Handbook", "status": status,
        "error": "bad PDF" if stored == "failed" else None,
        "chunkCount": 0, "uploadStatus": stored.upper(),
    }
