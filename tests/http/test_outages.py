"""PostgreSQL or Redis down: a 503 with Retry-After and the code SERVICE_UNAVAILABLE, on the
planner's known path, on strawberry's path (when every error is an outage and there is no
data), and in the guards; anything else keeps its usual status."""

from __future__ import annotations

from typing import Any

import pytest
import redis.exceptions
from graphql import GraphQLError
from strawberry.types import ExecutionResult

from services.availability import SERVICE_UNAVAILABLE, ServiceUnavailable

QUERY = "{ organizations(first: 5) { edges { node { name } } } }"
OUTAGE = {"errors": [{"message": "PostgreSQL is unavailable; try again shortly",
                      "extensions": {"code": SERVICE_UNAVAILABLE}}]}


def execution_result(data: dict[str, Any] | None, *codes: str) -> ExecutionResult:
    """What the schema answers when resolvers failed with these codes (an outage becomes
    SERVICE_UNAVAILABLE there)."""
    errors = [GraphQLError(str(ServiceUnavailable("PostgreSQL")) if code == SERVICE_UNAVAILABLE
                           else "boom", extensions={"code": code}) for code in codes]
    return ExecutionResult(data=data, errors=errors)


@pytest.fixture
def schema(app):
    return app.graphql.schema


async def test_an_outage_on_the_known_path_is_a_503(client, schema, monkeypatch) -> None:
    async def unavailable(*args: Any) -> None:
        raise ServiceUnavailable("PostgreSQL")

    monkeypatch.setattr(schema.planner, "answer_known", unavailable)
    response = await client.post("/graphql", json={"query": QUERY})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == OUTAGE


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_only_outages_and_no_data_on_strawberrys_path_is_a_503(
        client, schema, monkeypatch, accept) -> None:
    answers = iter([execution_result(None, SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE),
                    execution_result(None, SERVICE_UNAVAILABLE, "INTERNAL_SERVER_ERROR"),
                    execution_result({"organizations": None}, SERVICE_UNAVAILABLE)])

    async def execute(*args: Any, **kwargs: Any) -> ExecutionResult:
        return next(answers)

    async def not_known(*args: Any) -> None:
        return None

    monkeypatch.setattr(schema.planner, "answer_known", not_known)  # strawberry answers
    monkeypatch.setattr(schema, "execute", execute)
    outage, mixed, partial = [await client.post("/graphql", json={"query": QUERY},
                                                headers={"accept": accept}) for _ in range(3)]

    assert outage.status_code == 503 and outage.headers["retry-after"] == "1"
    assert [e["extensions"]["code"] for e in outage.json()["errors"]] == [SERVICE_UNAVAILABLE] * 2
    assert mixed.status_code == (400 if "graphql-response" in accept else 200)
    assert partial.status_code == 200
    assert "retry-after" not in mixed.headers and "retry-after" not in partial.headers


async def test_a_redis_outage_in_the_guards_is_a_503(client, monkeypatch) -> None:
    async def unreachable(*args: Any) -> None:
        raise redis.exceptions.ConnectionError("Connection refused")

    monkeypatch.setattr("app.http.guards.authenticate", unreachable)
    response = await client.post("/graphql", json={"query": QUERY})

    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json() == {"errors": [{"message": "Redis is unavailable; try again shortly",
                                           "extensions": {"code": SERVICE_UNAVAILABLE}}]}
