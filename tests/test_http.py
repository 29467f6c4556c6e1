"""The HTTP surface: GraphiQL offline, GraphQL over HTTP media types, malformed requests."""

from __future__ import annotations

import re

import pytest

from tests.factories.identity import make_organization


@pytest.fixture
def client(superuser_client):
    """These tests read as a platform superuser; scoping has tests of its own."""
    return superuser_client

QUERY = "{ organizations(first: 1) { edges { node { slug } } } }"


async def test_graphiql_is_served_with_local_assets(client) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/graphiql/") for a in assets), assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_post_answers_json_or_graphql_response_json(client, session) -> None:
    await make_organization(session, slug="acme")
    await session.commit()

    plain = await client.post("/graphql", json={"query": QUERY})
    modern = await client.post("/graphql", json={"query": QUERY}, headers={
        "accept": "application/graphql-response+json, application/json;q=0.9"})
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers={
        "accept": "application/graphql-response+json"})

    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json() == {"data": {"organizations": {"edges": [{"node": {"slug": "acme"}}]}}}
    assert modern.headers["content-type"].startswith("application/graphql-response+json")
    assert modern.json() == plain.json()
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_malformed_requests_get_4xx_not_500(client) -> None:
    not_json = await client.post("/graphql", content=b"{nope",
                                 headers={"content-type": "application/json"})
    not_object = await client.post("/graphql", json=[1, 2])
    no_query = await client.post("/graphql", json={"variables": {}})
    bad_variables = await client.post("/graphql", json={"query": QUERY, "variables": [1]})

    for response in (not_json, not_object, no_query, bad_variables):
        assert 400 <= response.status_code < 500, (response.status_code, response.text)


async def test_depth_limit_refuses_deep_queries(client) -> None:
    chain = "parent { " * 25 + "id" + " }" * 25
    deep = '{ node(id: "x") { ... on ChatMessage { ' + chain + " } } }"

    body = (await client.post("/graphql", json={"query": deep})).json()

    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_healthz_is_readyz(client) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgresql": "ok", "redis": "ok"}}


async def test_graphql_with_another_method_is_a_json_405(client) -> None:
    """Every method reaches the GraphQL app (app/main.py), which answers the ones other than
    GET and POST with 405, the methods it allows, and a GraphQL error with a code."""
    refused = await client.put("/graphql", json={"query": QUERY})
    assert refused.status_code == 405
    assert {"GET", "POST"} <= set(refused.headers["allow"].replace(" ", "").split(","))
    assert refused.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
