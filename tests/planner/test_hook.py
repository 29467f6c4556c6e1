"""Over HTTP, plannable queries are answered by the planner, after authentication, rate
limiting and validation, and everything else by strawberry."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from app.http.graphql import GraphQLApp
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_messages
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql, gql_data
from tests.planner.queries import NESTED

DEEP = "{ organizations { edges { node { members { edges { node { user { chatSessions { edges"\
       " { node { messages { edges { node { parent { parent { parent { parent { parent { parent"\
       " { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } } } } } } }"\
       " } } } } } }"
MUTATION = 'mutation { createOrganization(input: {name: "x", slug: "x"}) { userErrors { code } } }'


def stats(app: Starlette) -> dict[str, Any]:
    """The planner's counters, as a metrics endpoint reads them."""
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None) or getattr(route, "app", None)
        if isinstance(endpoint, GraphQLApp):
            planner = endpoint.schema.planner  # type: ignore[attr-defined]
            assert planner is not None, "the planner is on by default"
            return planner.stats.snapshot()
    raise AssertionError("no GraphQL endpoint")


@pytest.fixture
async def chat_data(session) -> None:
    org = await make_organization(session)
    model = await make_model(session, organization=org)
    user = await make_user(session)
    await make_membership(session, organization=org, user=user)
    chat = await make_chat_session(session, user=user, model=model)
    await make_messages(session, chat=chat, count=3)
    await session.commit()


async def test_a_plannable_query_is_planned(app, superuser_client, chat_data) -> None:
    await gql_data(superuser_client, "{ viewer { username } }")  # not plannable
    before = stats(app)
    data = await gql_data(superuser_client, NESTED)
    assert stats(app)["planned"] == before["planned"] + 1
    sessions = data["organizations"]["edges"][0]["node"]["members"]["edges"][0]["node"]["user"]
    assert [m["node"]["role"] for e in sessions["chatSessions"]["edges"]
            for m in e["node"]["messages"]["edges"]] == ["USER", "ASSISTANT", "USER"]


async def test_anonymous_callers_see_nothing_through_the_planner(app, client, chat_data) -> None:
    before = stats(app)
    assert await gql_data(client, NESTED) == {"organizations": {"edges": []}}
    assert stats(app)["planned"] == before["planned"] + 1


async def test_validation_limits_still_apply(app, superuser_client) -> None:
    before = stats(app)
    body = await gql(superuser_client, DEEP)
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert stats(app) == before  # refused before execution


async def test_mutations_are_not_planned(app, superuser_client) -> None:
    before = stats(app)
    body = await gql(superuser_client, MUTATION)
    assert "createOrganization" in body["data"]
    assert stats(app) == before


async def test_an_error_answer_comes_from_strawberry(app, superuser_client) -> None:
    before = stats(app)
    body = await gql(superuser_client, "{ organizations(first: 101) { edges { node { id } } } }")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["path"] == ["organizations"]
    assert stats(app)["fallback"] == before["fallback"] + 1
