"""Scoping is enforced on every read path: a caller restricted to organization A reads nothing
of organization B through root connections, `node`/`nodes`, nested relations or counts."""

from __future__ import annotations

import base64

import pytest

from db.scope import Principal
from graphql_schema.context import Context
from graphql_schema.schema import build_schema
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_messages
from tests.factories.identity import make_membership, make_organization, make_user

EVERYTHING = """
{
  organizations { totalCount edges { node { slug
    members { totalCount edges { node { user { username
      organizations { edges { node { slug } } }
      chatSessions { totalCount edges { node { title messages { totalCount } } } } } } } }
    models { edges { node { name } } } } } }
  users { edges { node { username } } }
  models { totalCount edges { node { name } } }
  chatSessions { totalCount edges { node { title } } }
}
"""
NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename } }"
BY_SLUG = 'query ($slug: String!) { organization(slug: $slug) { slug } }'


def gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


@pytest.fixture
def schema(settings):
    return build_schema(settings)


async def run(schema, app, principal: Principal, query: str, variables=None) -> dict:
    ctx = Context(settings=app.state.settings, db=app.state.db, redis=app.state.redis,
                  principal=principal)
    result = await schema.execute(query, variable_values=variables, context_value=ctx)
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


async def test_member_of_a_sees_only_a(schema, app, session) -> None:
    # given two organizations, each with a member, a model, a chat with messages
    a, b = await make_organization(session, slug="a"), await make_organization(session, slug="b")
    rows = {}
    for org, name in ((a, "alice"), (b, "bob")):
        user = await make_user(session, username=name)
        await make_membership(session, organization=org, user=user)
        model = await make_model(session, organization=org, name=f"{name}-model")
        chat = await make_chat_session(session, user=user, model=model, title=f"{name}-chat")
        msgs = await make_messages(session, chat=chat, count=2)
        rows[name] = (user, model, chat, msgs[0])
    # bob also belongs to A: through A he is visible, but his B chat is not
    await make_membership(session, organization=a, user=rows["bob"][0])
    await session.commit()
    alice = Principal(user_id=rows["alice"][0].id, organization_ids=frozenset({a.id}))

    # when alice reads everything, and B's objects by ID and slug
    seen = await run(schema, app, alice, EVERYTHING)
    _, bob_model, bob_chat, bob_msg = rows["bob"]
    b_ids = [gid("Organization", b.id), gid("AiModel", bob_model.id),
             gid("ChatSession", bob_chat.id), gid("ChatMessage", bob_msg.id)]
    by_id = await run(schema, app, alice, NODES, {"ids": b_ids})
    by_slug = await run(schema, app, alice, BY_SLUG, {"slug": "b"})

    # then only A's rows appear, and B's are indistinguishable from missing ones
    data = seen["data"]
    assert seen["errors"] == []
    assert [e["node"]["slug"] for e in data["organizations"]["edges"]] == ["a"]
    assert data["organizations"]["totalCount"] == 1
    assert sorted(e["node"]["username"] for e in data["users"]["edges"]) == ["alice", "bob"]
    assert [e["node"]["name"] for e in data["models"]["edges"]] == ["alice-model"]
    assert data["chatSessions"]["totalCount"] == 1
    members = data["organizations"]["edges"][0]["node"]["members"]["edges"]
    bob_seen = next(m["node"]["user"] for m in members if m["node"]["user"]["username"] == "bob")
    assert [e["node"]["slug"] for e in bob_seen["organizations"]["edges"]] == ["a"]
    assert bob_seen["chatSessions"] == {"totalCount": 0, "edges": []}
    assert by_id["data"] == {"nodes": [None, None, None, None]}
    assert [e["extensions"]["code"] for e in by_id["errors"]] == ["NOT_FOUND"] * 4
    assert by_slug["data"] == {"organization": None}


async def test_anonymous_principal_sees_nothing(schema, app, session) -> None:
    org = await make_organization(session, slug="a")
    await make_membership(session, organization=org, user=await make_user(session))
    await session.commit()

    seen = await run(schema, app, Principal.anonymous(), EVERYTHING)

    assert seen["data"]["organizations"] == {"totalCount": 0, "edges": []}
    assert seen["data"]["users"]["edges"] == []
    assert seen["data"]["models"]["totalCount"] == 0
