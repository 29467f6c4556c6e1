"""Full-text search: ranking, highlights, partial words, types, pages and tenant scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.relay import to_base64

from db.models.knowledge import KnowledgeChunk
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_message
from tests.factories.identity import make_membership, make_organization, make_user
from tests.factories.knowledge import make_collection, make_document
from tests.graphql import error_codes, gql

SEARCH = """
query ($q: String!, $types: [SearchType!], $first: Int, $after: String) {
  search(query: $q, types: $types, first: $first, after: $after) {
    edges { cursor node { score highlight node {
      __typename
      ... on ChatMessage { id content }
      ... on KnowledgeDocument { id filename }
    } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""

STRONG = "Budget review: the budget for the budget committee is final."
WEAK = "Lunch was long and then, among many other things, someone said budget."


@dataclass
class SearchWorld:
    strong: Any
    weak: Any
    document: Any
    other_message: Any
    headers: dict[str, dict[str, str]]


async def _chat(session, organization, user, contents: list[str]) -> list[Any]:
    model = await make_model(session, organization=organization)
    chat = await make_chat_session(session, user=user, model=model)
    return [await make_message(session, chat=chat, role="user", content=c, sequence_number=i)
            for i, c in enumerate(contents, 1)]


@pytest.fixture
async def world(app, session) -> SearchWorld:
    acme, other = await make_organization(session), await make_organization(session)
    alice, olga = await make_user(session), await make_user(session)
    await make_membership(session, organization=acme, user=alice, role="viewer")
    await make_membership(session, organization=other, user=olga, role="owner")
    strong, weak, _ = await _chat(session, acme, alice, [
        STRONG, WEAK, "Our pgvector embeddings use vectorization of paragraphs."])
    (other_message,) = await _chat(session, other, olga, ["The other budget, of olga."])
    collection = await make_collection(session, organization=acme)
    document = await make_document(session, collection=collection, filename="plan.txt")
    for position, content in enumerate(["Introduction to the plan.",
                                        "The budget appendix lists every cost."]):
        session.add(KnowledgeChunk(
            organization_id=acme.id, collection_id=collection.id, document_id=document.id,
            position=position, content=content, embedding=[1.0] + [0.0] * 383))
    await session.commit()
    headers = {"alice": await bearer_headers(app, session, alice),
               "olga": await bearer_headers(app, session, olga), "anonymous": {}}
    return SearchWorld(strong, weak, document, other_message, headers)


def gid(type_name: str, row: Any) -> str:
    return to_base64(type_name, row.id)


async def search(client, headers, q: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, SEARCH, {"q": q, **variables}, headers=headers)
    assert "errors" not in body, body["errors"]
    return body["data"]["search"]


def hit_ids(result: dict[str, Any]) -> list[str]:
    return [e["node"]["node"]["id"] for e in result["edges"]]


async def test_a_word_finds_messages_ranked_and_highlighted(client, world) -> None:
    result = await search(client, world.headers["alice"], "budgets", types=["CHAT_MESSAGE"])
    assert hit_ids(result) == [gid("ChatMessage", world.strong), gid("ChatMessage", world.weak)]
    first, second = (e["node"] for e in result["edges"])
    assert first["score"] > second["score"] > 0
    assert "<mark>budget</mark>" in first["highlight"]
    assert "<mark>Budget</mark> review" in first["highlight"]
    assert first["node"]["__typename"] == "ChatMessage"


async def test_partial_words_match_through_trigrams(client, world) -> None:
    alice = world.headers["alice"]
    for partial in ("embedd", "ectoriz", "Budge"):
        result = await search(client, alice, partial, types=["CHAT_MESSAGE"])
        assert result["edges"], partial
    prefix = await search(client, alice, "embedd", types=["CHAT_MESSAGE"])
    assert "<mark>embeddings</mark>" in prefix["edges"][0]["node"]["highlight"]
    assert (await search(client, alice, "zzzqqq"))["edges"] == []
    for odd in ("o'brien & (x:*", "%_", "-", "  ", "a"):  # no syntax errors, whatever typed
        await search(client, alice, odd)


async def test_types_filter_and_documents_through_their_chunks(client, world) -> None:
    alice = world.headers["alice"]
    documents = await search(client, alice, "budget", types=["KNOWLEDGE_DOCUMENT"])
    assert hit_ids(documents) == [gid("KnowledgeDocument", world.document)]
    hit = documents["edges"][0]["node"]
    assert hit["node"]["filename"] == "plan.txt"
    assert "<mark>budget</mark> appendix" in hit["highlight"]
    everything = await search(client, alice, "budget")
    assert set(hit_ids(everything)) == {gid("ChatMessage", world.strong),
                                        gid("ChatMessage", world.weak),
                                        gid("KnowledgeDocument", world.document)}
    assert (await search(client, alice, "budget", types=[]))["edges"] == []


async def test_pages_follow_the_ranking(client, world) -> None:
    alice = world.headers["alice"]
    everything = hit_ids(await search(client, alice, "budget"))
    seen, after = [], None
    while True:
        page = await search(client, alice, "budget", first=1, after=after)
        seen += hit_ids(page)
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == everything and len(seen) == 3
    body = await gql(client, SEARCH, {"q": "budget", "first": 101}, headers=alice)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    body = await gql(client, SEARCH, {"q": "budget", "after": "bm9wZQ=="}, headers=alice)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_outsiders_and_anonymous_find_nothing_of_the_organization(client, world) -> None:
    own = await search(client, world.headers["olga"], "budget")
    assert hit_ids(own) == [gid("ChatMessage", world.other_message)]  # control
    assert (await search(client, world.headers["anonymous"], "budget"))["edges"] == []
    alice = await search(client, world.headers["alice"], "budget")
    assert gid("ChatMessage", world.other_message) not in hit_ids(alice)


async def test_system_logs_ranked_highlighted_and_for_superusers_only(
    app, client, session, world
) -> None:
    from tests.factories.system import make_system_log

    strong = await make_system_log(session, message="Ingestion timeout: the ingestion worker "
                                                    "timed out during ingestion of a PDF")
    weak = await make_system_log(session, message="A slow request; ingestion is unrelated")
    await make_system_log(session, message="Redis reconnected")
    root = await make_user(session, username="search-root")
    root.is_superuser = True
    await session.commit()
    headers = await bearer_headers(app, session, root)
    query = """query ($q: String!) { search(query: $q, types: [SYSTEM_LOG]) { edges { node {
      score highlight node { __typename ... on SystemLog { id level message } } } } } }"""

    body = await gql(client, query, {"q": "ingestion"}, headers=headers)
    hits = [e["node"] for e in body["data"]["search"]["edges"]]
    assert [h["node"]["id"] for h in hits] == [gid("SystemLog", strong), gid("SystemLog", weak)]
    assert hits[0]["score"] > hits[1]["score"] > 0
    assert "<mark>Ingestion</mark> timeout" in hits[0]["highlight"]
    partial = await gql(client, query, {"q": "reconnec"}, headers=headers)
    assert [e["node"]["node"]["message"] for e in partial["data"]["search"]["edges"]] == [
        "Redis reconnected"]
    for caller in ("alice", "olga", "anonymous"):  # members, owners and strangers: nothing
        body = await gql(client, query, {"q": "ingestion"}, headers=world.headers[caller])
        assert body["data"]["search"]["edges"] == [], caller
