"""Automatic persisted queries over HTTP (Apollo's protocol): a hash instead of the document,
over POST and GET; the document once, checked and stored; only queries over GET; the stored
document authorized and scoped like any other."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from app.http.persisted_queries import KEY_PREFIX
from db.models import Organization
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user

ORGANIZATIONS = "{ organizations(first: 10) { edges { node { name } } } }"
CREATE_ORGANIZATION = """mutation ($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { slug } userErrors { code } } }"""
NOT_FOUND = {"errors": [{"message": "PersistedQueryNotFound",
                         "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}


def fresh(document: str) -> str:
    """The document under a hash no earlier test has stored (a comment makes it new)."""
    return f"# {secrets.token_hex(8)}\n{document}"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def extension(document_hash: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": document_hash}}


async def post(client: httpx.AsyncClient, body: dict[str, Any],
               headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post("/graphql", json=body, headers=headers or {})


async def get(client: httpx.AsyncClient, params: dict[str, Any],
              headers: dict[str, str] | None = None) -> httpx.Response:
    """As Apollo Client sends it: variables and extensions as JSON in the URL."""
    query = {k: v if isinstance(v, str) else orjson.dumps(v).decode()
             for k, v in params.items()}
    return await client.get("/graphql", params=query, headers=headers or {})


@pytest.fixture
async def people(app, session) -> dict[str, dict[str, str]]:
    """alice in acme, bob in beta: each sees only their own organization."""
    acme = await make_organization(session, name="acme")
    beta = await make_organization(session, name="beta")
    alice = await make_user(session, username="alice")
    bob = await make_user(session, username="bob")
    await make_membership(session, organization=acme, user=alice)
    await make_membership(session, organization=beta, user=bob)
    await session.commit()
    return {"alice": await bearer_headers(app, session, alice),
            "bob": await bearer_headers(app, session, bob)}


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return [e["node"]["name"] for e in body["data"]["organizations"]["edges"]]


async def test_an_unknown_hash_asks_for_the_document_then_the_hash_alone_runs_it(
    client, redis, people, settings
) -> None:
    document = fresh(ORGANIZATIONS)
    alice = people["alice"]

    unknown = await post(client, {"extensions": extension(sha(document))}, alice)
    registered = await post(client, {"query": document, "extensions": extension(sha(document))},
                            alice)
    by_hash = await post(client, {"extensions": extension(sha(document))}, alice)

    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    assert unknown.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert names(registered) == names(by_hash) == ["acme"]
    assert await redis.get(KEY_PREFIX + sha(document)) == document.encode()
    assert 0 < await redis.ttl(KEY_PREFIX + sha(document)) <= settings.apq_ttl_seconds


async def test_get_carries_the_hash_in_a_url_encoded_extensions_parameter(client, people
                                                                          ) -> None:
    document = fresh("query Orgs($n: Int!) { organizations(first: $n) "
                     "{ edges { node { name } } } }")
    bob = people["bob"]

    unknown = await get(client, {"extensions": extension(sha(document)),
                                 "variables": {"n": 5}}, bob)
    registered = await get(client, {"query": document, "variables": {"n": 5},
                                    "extensions": extension(sha(document))}, bob)
    by_hash = await get(client, {"extensions": extension(sha(document)),
                                 "variables": {"n": 5}, "operationName": "Orgs"}, bob)

    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    assert names(registered) == names(by_hash) == ["beta"]


async def test_a_document_stored_by_another_process_is_found_in_redis(client, redis, people
                                                                     ) -> None:
    document = fresh(ORGANIZATIONS)
    await redis.set(KEY_PREFIX + sha(document), document, ex=60)

    response = await post(client, {"extensions": extension(sha(document))}, people["alice"])

    assert names(response) == ["acme"]


async def test_a_hash_that_does_not_match_the_document_is_refused_and_not_stored(
    client, redis, people
) -> None:
    document, other = fresh(ORGANIZATIONS), fresh(ORGANIZATIONS)

    response = await post(client, {"query": document, "extensions": extension(sha(other))},
                          people["alice"])
    later = await post(client, {"extensions": extension(sha(other))}, people["alice"])

    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "provided sha does not match query",
                                           "extensions": {"code": "BAD_USER_INPUT"}}]}
    assert await redis.get(KEY_PREFIX + sha(other)) is None
    assert later.json() == NOT_FOUND


@pytest.mark.parametrize("persisted", [
    {"version": 2, "sha256Hash": "0" * 64}, {"sha256Hash": "0" * 64}, "abc",
    {"version": 1, "sha256Hash": 12},
])
async def test_a_malformed_extension_is_a_bad_request(client, persisted) -> None:
    response = await post(client, {"extensions": {"persistedQuery": persisted}})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_document_that_does_not_parse_is_answered_but_not_stored(client, redis
                                                                         ) -> None:
    document = fresh("{ organizations(first: 1) { edges ")

    response = await post(client, {"query": document, "extensions": extension(sha(document))})
    later = await post(client, {"extensions": extension(sha(document))})

    assert response.json()["errors"][0]["message"].startswith("Syntax Error"), response.json()
    assert await redis.get(KEY_PREFIX + sha(document)) is None
    assert later.json() == NOT_FOUND


async def test_get_never_runs_a_persisted_mutation(client, session, people) -> None:
    document = fresh(CREATE_ORGANIZATION)
    alice = people["alice"]
    created = await post(client, {"query": document, "extensions": extension(sha(document)),
                                  "variables": {"input": {"name": "Gamma", "slug": "gamma"}}},
                         alice)
    count = await session.scalar(select(func.count()).select_from(Organization))

    response = await get(client, {"extensions": extension(sha(document)),
                                  "variables": {"input": {"name": "Delta", "slug": "delta"}}},
                         alice)

    assert created.json()["data"]["createOrganization"]["organization"] == {"slug": "gamma"}
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert await session.scalar(select(func.count()).select_from(Organization)) == count


async def test_a_persisted_query_is_scoped_to_whoever_runs_it(client, people) -> None:
    document = fresh(ORGANIZATIONS)
    await post(client, {"query": document, "extensions": extension(sha(document))},
               people["alice"])

    as_bob = await post(client, {"extensions": extension(sha(document))}, people["bob"])
    anonymous = await post(client, {"extensions": extension(sha(document))})

    assert names(as_bob) == ["beta"]
    assert names(anonymous) == []


async def test_requests_without_the_extension_are_untouched(client, people) -> None:
    response = await post(client, {"query": ORGANIZATIONS}, people["alice"])
    missing = await post(client, {"extensions": {"other": 1}})

    assert names(response) == ["acme"]
    assert missing.status_code == 400  # no document and no hash: strawberry's answer


async def test_this_process_keeps_recent_documents_in_front_of_redis(app, client, redis, people
                                                                    ) -> None:
    store = app.state.persisted_queries
    document = fresh(ORGANIZATIONS)
    await post(client, {"query": document, "extensions": extension(sha(document))},
               people["alice"])
    await redis.delete(KEY_PREFIX + sha(document))  # as if another process's TTL ran out

    kept = await post(client, {"extensions": extension(sha(document))}, people["alice"])
    for _ in range(store.cache_size):  # push it out of the LRU
        other = fresh(ORGANIZATIONS)
        store._remember(sha(other), other)
    gone = await post(client, {"extensions": extension(sha(document))}, people["alice"])

    assert names(kept) == ["acme"]
    assert gone.json() == NOT_FOUND
    assert len(store._recent) == store.cache_size
