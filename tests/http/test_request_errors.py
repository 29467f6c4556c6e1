"""Requests /graphql cannot run are answered as GraphQL over HTTP asks: a JSON error list with
a code and a 4xx status, on every path (strawberry's, the planner's known path, GET, uploads);
in application/graphql-response+json a document that does not parse or validate gets no
`data` at all. tests/http/test_hostile.py sends thousands of such requests to a server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Organization
from tests.graphql import error_codes

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}
JSON = {"content-type": "application/json"}
CREATE = ("mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) "
          "{ organization { slug } } }")


def refusal(response, status: int) -> str:
    """The code of a JSON refusal with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    return error["extensions"]["code"]


@pytest.mark.parametrize("body", [b"1", b'"x"', b"null", b"[]", b"[1, 2]", b"{nope", b"",
                                  b'"\\ud800"', b'{"query": "{ __typename }", '
                                  b'"operationName": "\\ud800"}'])
async def test_a_body_that_is_not_a_json_object_is_a_400_in_json(client, body) -> None:
    response = await client.post("/graphql", content=body, headers=JSON)
    assert refusal(response, 400) == "BAD_REQUEST"


@pytest.mark.parametrize("document", ["fragment F on Query { __typename }", ""])
async def test_a_document_without_an_operation_is_a_400_in_json(client, document) -> None:
    posted = await client.post("/graphql", json={"query": document})
    got = await client.get("/graphql", params={"query": document}, headers=GRAPHQL_RESPONSE)
    assert refusal(posted, 400) == refusal(got, 400) == "OPERATION_RESOLUTION_FAILURE"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_a_405_in_json_naming_get_and_post(client, method) -> None:
    response = await client.request(method, "/graphql", content=b"{}", headers=JSON)
    assert refusal(response, 405) == "METHOD_NOT_ALLOWED"
    assert response.headers["allow"] == "GET, POST"


async def test_another_media_type_is_a_415_in_json(client) -> None:
    response = await client.post("/graphql", content=b'{"query": "{ __typename }"}',
                                 headers={"content-type": "text/plain"})
    assert refusal(response, 415) == "UNSUPPORTED_MEDIA_TYPE"


async def test_a_subscription_over_http_is_a_400_in_json(client) -> None:
    response = await client.post("/graphql", json={
        "query": "subscription { notifications { __typename } }"})
    assert refusal(response, 400) == "BAD_REQUEST"


@pytest.mark.parametrize("operations", ["1", "{nope", '{"query": "{ __typename }"}'])
async def test_a_broken_upload_is_a_400_in_json(client, operations) -> None:
    response = await client.post(
        "/graphql", headers={"graphql-preflight": "1"},
        files={"operations": (None, operations), "map": (None, '{"0": ["variables.f"]}')})
    assert refusal(response, 400) == "BAD_REQUEST"


@pytest.mark.parametrize(("document", "code"), [
    ("{ organizations { ", "GRAPHQL_PARSE_FAILED"),
    ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ("{ viewer { ...Unknown } }", "GRAPHQL_VALIDATION_FAILED"),  # the depth limiter failed
    ("query($n: Int) { organizations(first: $n) { totalCount } }", "BAD_USER_INPUT"),
])
async def test_a_request_error_has_no_data_in_the_graphql_response_media_type(
        client, document, code) -> None:
    variables = {"n": "many"}
    modern = await client.post("/graphql", json={"query": document, "variables": variables},
                               headers=GRAPHQL_RESPONSE)
    plain = await client.post("/graphql", json={"query": document, "variables": variables})

    assert modern.status_code == 400
    assert modern.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in modern.json() and set(error_codes(modern.json())) == {code}
    assert plain.status_code == 200
    assert plain.json()["data"] is None and set(error_codes(plain.json())) == {code}


async def test_a_nul_character_is_bad_user_input_and_nothing_is_written(
        superuser_client, session) -> None:
    """PostgreSQL stores no NUL in text: the input is refused with its reason, on the
    mutation's path and on the planner's (a query it plans)."""
    created = await superuser_client.post("/graphql", json={
        "query": CREATE, "variables": {"input": {"name": "a\x00b", "slug": "nul-name"}}})
    looked_up = await superuser_client.post("/graphql", json={
        "query": '{ organization(slug: "\\u0000") { id } }'})

    for response in (created, looked_up):
        assert response.status_code == 200
        assert error_codes(response.json()) == ["BAD_USER_INPUT"], response.json()
        assert "refused a value" in response.json()["errors"][0]["message"]
    assert await session.scalar(select(func.count()).select_from(Organization)) == 0
