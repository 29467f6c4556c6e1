"""A query the planner has answered whole before is answered again without strawberry's
pipeline (`QueryPlanner.answer_known`): the same bytes and headers, and nothing it skips may
be lost — authentication, scoping per caller, variable errors, persisted queries."""

from __future__ import annotations

import hashlib
import secrets

import httpx

from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes
from tests.planner.test_hook import chat_data, stats  # noqa: F401  (a fixture)

ORGS = "query Orgs($n: Int) { organizations(first: $n) { edges { node { name } } } }"


def fresh(document: str) -> str:
    """The document under a text no earlier test has sent (a comment makes it new)."""
    return f"# {secrets.token_hex(8)}\n{document}"


async def post(client: httpx.AsyncClient, body: dict, headers: dict | None = None
               ) -> httpx.Response:
    return await client.post("/graphql", json=body, headers=headers or {})


async def test_the_second_request_is_answered_without_strawberry_alike(
        app, superuser_client, chat_data) -> None:  # noqa: F811
    query = fresh(ORGS)
    before = stats(app)
    first = await post(superuser_client, {"query": query, "variables": {"n": 5}})
    second = await post(superuser_client, {"query": query, "variables": {"n": 5}})
    after = stats(app)

    assert after["planned"] == before["planned"] + 2
    assert after["known"] == before["known"] + 1  # the second one
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b'"organizations"' in first.content
    assert first.headers["content-type"] == second.headers["content-type"]


async def test_the_media_type_follows_the_accept_header(superuser_client, chat_data  # noqa: F811
                                                        ) -> None:
    query = fresh(ORGS)
    accept = {"accept": "application/graphql-response+json, application/json"}
    await post(superuser_client, {"query": query})
    known = await post(superuser_client, {"query": query}, accept)
    assert known.headers["content-type"] == "application/graphql-response+json"


async def test_variables_are_checked_and_errors_come_from_strawberry(
        app, superuser_client, chat_data) -> None:  # noqa: F811
    query = fresh(ORGS)
    await post(superuser_client, {"query": query, "variables": {"n": 1}})
    before = stats(app)
    wrong = (await post(superuser_client, {"query": query, "variables": {"n": "ten"}})).json()
    too_many = (await post(superuser_client, {"query": query, "variables": {"n": 10**6}})).json()

    assert error_codes(wrong) == ["BAD_USER_INPUT"] and "Int cannot represent" in str(wrong)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    assert stats(app)["known"] == before["known"]


async def test_each_caller_gets_only_what_it_may_see(app, session, client) -> None:
    acme = await make_organization(session, name="acme")
    beta = await make_organization(session, name="beta")
    alice, bob = await make_user(session), await make_user(session)
    await make_membership(session, organization=acme, user=alice)
    await make_membership(session, organization=beta, user=bob)
    await session.commit()
    as_alice = await bearer_headers(app, session, alice)
    as_bob = await bearer_headers(app, session, bob)
    query = fresh(ORGS)

    def names(response: httpx.Response) -> list[str]:
        return [e["node"]["name"] for e in response.json()["data"]["organizations"]["edges"]]

    answers = [names(await post(client, {"query": query}, headers))
               for headers in (as_alice, as_bob, as_alice, {}, as_bob)]
    assert answers == [["acme"], ["beta"], ["acme"], [], ["beta"]]


async def test_a_known_query_is_refused_once_the_session_ends(app, client, session) -> None:
    headers = await bearer_headers(app, session, await make_user(session))
    query = fresh(ORGS)
    assert (await post(client, {"query": query}, headers)).status_code == 200
    assert (await post(client, {"query": query}, headers)).status_code == 200

    await post(client, {"query": "mutation { logOut { ok } }"}, headers)
    refused = await post(client, {"query": query}, headers)

    assert refused.status_code == 401
    assert error_codes(refused.json()) == ["SESSION_REVOKED"]


async def test_a_persisted_query_by_hash_is_answered_by_the_known_path(
        app, superuser_client, chat_data) -> None:  # noqa: F811
    query = fresh(ORGS)
    persisted = {"persistedQuery": {"version": 1,
                                    "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}
    missing = await post(superuser_client, {"extensions": persisted})
    stored = await post(superuser_client, {"query": query, "extensions": persisted})
    before = stats(app)
    by_hash = await post(superuser_client, {"extensions": persisted})

    assert error_codes(missing.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert stored.status_code == by_hash.status_code == 200
    assert by_hash.content == stored.content
    assert stats(app)["known"] == before["known"] + 1


async def test_a_body_that_is_not_a_query_still_gets_strawberrys_answer(
        superuser_client) -> None:
    not_json = await superuser_client.post(
        "/graphql", content=b"{nope", headers={"content-type": "application/json"})
    a_list_of_numbers = await superuser_client.post("/graphql", json=[1, 2])
    assert not_json.status_code == 400
    assert a_list_of_numbers.status_code == 400
