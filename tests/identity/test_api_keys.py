"""API keys: createApiKey / revokeApiKey, and a key used as `Authorization: Bearer aip_...`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import delete, func, select, update
from strawberry.relay import to_base64

from db.models import ApiKey, AuditLog, Membership
from services.security.api_keys import generate_api_key, principal_for_api_key
from services.security.principals import invalidate_user
from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user
from tests.graphql import error_codes, gql

CREATE = """
mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret
    apiKey { __typename id name prefix scopes createdAt expiresAt lastUsedAt revokedAt
             organization { slug } }
    userErrors { field message code }
  }
}
"""
REVOKE = """
mutation ($id: ID!) {
  revokeApiKey(input: {id: $id}) { apiKey { id revokedAt } userErrors { field code } }
}
"""
ORGS = "{ viewer { username } organizations { totalCount edges { node { slug } } } }"
NODE = "query ($id: ID!) { node(id: $id) { __typename ... on ApiKey { name prefix scopes } } }"


def org_id(org) -> str:
    return to_base64("Organization", org.id)


async def make_api_key(session, *, organization, user, scopes=(), expires_at=None) -> str:
    """A key row straight in the database; returns the full key."""
    secret, prefix, key_hash = generate_api_key()
    session.add(ApiKey(organization_id=organization.id, user_id=user.id, name="k",
                       prefix=prefix, key_hash=key_hash, scopes=list(scopes),
                       expires_at=expires_at))
    await session.flush()
    return secret


async def key_global_id(session, secret: str) -> str:
    key_hash = hashlib.sha256(secret.encode()).hexdigest()
    return to_base64("ApiKey", await session.scalar(
        select(ApiKey.id).where(ApiKey.key_hash == key_hash)))


def key_headers(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


async def create(client, headers, org, *, name="trainer", scopes=("model:write",),
                 expires_at=None) -> dict:
    body = await gql(client, CREATE, {"input": {
        "organizationId": org_id(org), "name": name, "scopes": list(scopes),
        "expiresAt": expires_at}}, headers=headers)
    return body


@pytest.fixture
async def world(app, session):
    """alice: admin of acme, member of beta; bob: member of acme."""
    acme = await make_organization(session, slug="acme")
    beta = await make_organization(session, slug="beta")
    alice, bob = await make_user(session, username="alice"), await make_user(session)
    await make_membership(session, organization=acme, user=alice, role="admin")
    await make_membership(session, organization=beta, user=alice, role="member")
    await make_membership(session, organization=acme, user=bob, role="member")
    await session.commit()
    return {"acme": acme, "beta": beta, "alice": alice, "bob": bob,
            "alice_headers": await bearer_headers(app, session, alice),
            "bob_headers": await bearer_headers(app, session, bob)}


async def test_created_key_shows_its_secret_once_and_reads_only_its_organization(
    client, session, world
) -> None:
    # given alice, a member of two organizations, creates a key for acme
    created = (await create(client, world["alice_headers"], world["acme"],
                            scopes=("model:write", "dataset:write")))["data"]["createApiKey"]
    secret, api_key = created["secret"], created["apiKey"]

    # when she uses it
    with_key = await gql(client, ORGS, headers=key_headers(secret))
    with_login = await gql(client, ORGS, headers=world["alice_headers"])
    node = await gql(client, NODE, {"id": api_key["id"]}, headers=world["alice_headers"])

    # then the key reads acme only, while her login reads both
    assert created["userErrors"] == []
    assert secret.startswith(f"aip_{api_key['prefix']}_") and len(api_key["prefix"]) == 8
    assert api_key["__typename"] == "ApiKey" and api_key["name"] == "trainer"
    assert api_key["scopes"] == ["dataset:write", "model:write"]
    assert api_key["organization"] == {"slug": "acme"}
    assert api_key["revokedAt"] is None and api_key["lastUsedAt"] is None
    assert with_key["data"] == {"viewer": {"username": "alice"}, "organizations": {
        "totalCount": 1, "edges": [{"node": {"slug": "acme"}}]}}
    assert with_login["data"]["organizations"]["totalCount"] == 2
    assert node["data"]["node"]["prefix"] == api_key["prefix"]
    assert secret not in orjson.dumps(node).decode()
    # stored as a hash, never as the secret; nor is either in the audit trail
    row = (await session.execute(select(ApiKey))).scalar_one()
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.last_used_at is not None
    audit = (await session.execute(select(AuditLog))).scalars().all()
    assert [a.action for a in audit] == ["api_key.create"]
    trail = orjson.dumps([[a.old_values, a.new_values] for a in audit]).decode()
    assert secret not in trail and row.key_hash not in trail
    assert audit[0].new_values["prefix"] == api_key["prefix"]


async def test_colleagues_do_not_see_each_others_keys(client, world) -> None:
    created = (await create(client, world["alice_headers"], world["acme"]))["data"]
    node = await gql(client, NODE, {"id": created["createApiKey"]["apiKey"]["id"]},
                     headers=world["bob_headers"])

    assert node["data"] == {"node": None}
    assert error_codes(node) == ["NOT_FOUND"]


async def test_key_permissions_are_the_owner_role_narrowed_to_its_scopes(
    app, session, world
) -> None:
    secret = await make_api_key(session, organization=world["acme"], user=world["alice"],
                                scopes=["model:write", "organization:delete"])
    await session.commit()

    principal = await principal_for_api_key(app.state.db, app.state.redis, secret)

    acme, beta = world["acme"].id, world["beta"].id
    assert principal.user_id == world["alice"].id and principal.api_key_id is not None
    assert principal.organization_ids == frozenset({acme})
    assert principal.can("model:write", acme)
    assert not principal.can("dataset:write", acme)  # the role grants it, the key does not
    assert not principal.can("organization:delete", acme)  # the key lists it, an admin lacks it
    assert not principal.can("model:write", beta)  # alice is a member there, the key is not
    assert not principal.is_superuser


async def test_a_key_without_apikey_manage_cannot_create_keys(client, session, world) -> None:
    # given a key of alice (admin) with model:write only
    secret = await make_api_key(session, organization=world["acme"], user=world["alice"],
                                scopes=["model:write"])
    manager = await make_api_key(session, organization=world["acme"], user=world["alice"],
                                 scopes=["apikey:manage"])
    await session.commit()

    # when each key tries to create a key
    denied = await create(client, key_headers(secret), world["acme"])
    widened = await create(client, key_headers(manager), world["acme"],
                           scopes=("apikey:manage", "model:write"))

    # then the first is forbidden, and the second cannot hand out more than it has
    assert denied["data"] is None and error_codes(denied) == ["FORBIDDEN"]
    assert widened["data"]["createApiKey"]["apiKey"] is None
    assert widened["data"]["createApiKey"]["userErrors"] == [{
        "field": ["input", "scopes"], "message": "Your role does not grant: model:write",
        "code": "SCOPE_NOT_GRANTED"}]
    assert await session.scalar(select(func.count()).select_from(ApiKey)) == 2


async def test_create_reports_every_input_problem_and_writes_nothing(
    client, session, world
) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    body = await create(client, world["alice_headers"], world["acme"], name=" ",
                        scopes=("nope:x", "model:write", "owner:manage"), expires_at=past)

    payload = body["data"]["createApiKey"]
    assert payload["apiKey"] is None and payload["secret"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "name"], "INVALID_NAME"),
        (["input", "scopes"], "UNKNOWN_SCOPE"),
        (["input", "scopes"], "SCOPE_NOT_GRANTED"),
        (["input", "expiresAt"], "INVALID_EXPIRY"),
    ]
    assert await session.scalar(select(func.count()).select_from(ApiKey)) == 0
    assert await session.scalar(select(func.count()).select_from(AuditLog)) == 0


async def test_create_needs_apikey_manage_in_a_visible_organization(client, session, world
                                                                     ) -> None:
    elsewhere = await make_organization(session)
    await session.commit()

    member = await create(client, world["bob_headers"], world["acme"])
    hidden = await create(client, world["alice_headers"], elsewhere)
    anonymous = await create(client, {}, world["acme"])

    assert error_codes(member) == ["FORBIDDEN"]
    assert error_codes(hidden) == ["NOT_FOUND"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await session.scalar(select(func.count()).select_from(ApiKey)) == 0


async def test_revoked_key_is_refused_at_once_with_its_own_code(client, session, world) -> None:
    # given a key that was used (so its row is cached in Redis)
    created = (await create(client, world["alice_headers"], world["acme"]))["data"]
    secret, key_id = created["createApiKey"]["secret"], created["createApiKey"]["apiKey"]["id"]
    assert (await client.post("/graphql", json={"query": ORGS},
                              headers=key_headers(secret))).status_code == 200

    # when alice revokes it, twice
    revoked = await gql(client, REVOKE, {"id": key_id}, headers=world["alice_headers"])
    again = await gql(client, REVOKE, {"id": key_id}, headers=world["alice_headers"])
    refused = await client.post("/graphql", json={"query": ORGS}, headers=key_headers(secret))

    # then the next request with it is a 401 API_KEY_REVOKED; revoking again changes nothing
    payload = revoked["data"]["revokeApiKey"]
    assert payload["userErrors"] == [] and payload["apiKey"]["revokedAt"] is not None
    assert again["data"]["revokeApiKey"] == payload
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"] == {"code": "API_KEY_REVOKED"}
    actions = (await session.execute(select(AuditLog.action).order_by(AuditLog.created_at)))
    assert actions.scalars().all() == ["api_key.create", "api_key.revoke"]


async def test_who_may_revoke_a_key(client, session, world) -> None:
    # given keys of bob (member of acme) and of alice
    bob_key = await make_api_key(session, organization=world["acme"], user=world["bob"])
    alice_key = await make_api_key(session, organization=world["acme"], user=world["alice"])
    await session.commit()
    ids = {owner: await key_global_id(session, k)
           for owner, k in (("bob", bob_key), ("alice", alice_key))}

    # bob (no apikey:manage) may not revoke alice's key; alice (admin) may revoke bob's;
    # a key with no scopes may revoke itself
    bob_on_alice = await gql(client, REVOKE, {"id": ids["alice"]}, headers=world["bob_headers"])
    alice_on_bob = await gql(client, REVOKE, {"id": ids["bob"]}, headers=world["alice_headers"])
    self_revoke = await gql(client, REVOKE, {"id": ids["alice"]}, headers=key_headers(alice_key))
    unknown = await gql(client, REVOKE, {"id": to_base64("ApiKey", world["acme"].id)},
                        headers=world["alice_headers"])

    assert error_codes(bob_on_alice) == ["FORBIDDEN"]
    assert alice_on_bob["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    assert self_revoke["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    assert error_codes(unknown) == ["NOT_FOUND"]


@pytest.mark.parametrize(("credential", "code"), [
    ("aip_x", "API_KEY_INVALID"),
    ("aip_0123abcd_" + "A" * 43, "API_KEY_INVALID"),  # well-formed, unknown
])
async def test_unusable_keys_get_their_own_code(client, credential, code) -> None:
    response = await client.post("/graphql", json={"query": ORGS},
                                 headers=key_headers(credential))

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": code}


async def test_expired_key_gets_api_key_expired(client, session, world) -> None:
    secret = await make_api_key(session, organization=world["acme"], user=world["alice"],
                                expires_at=datetime.now(UTC) - timedelta(seconds=1))
    await session.commit()

    response = await client.post("/graphql", json={"query": ORGS}, headers=key_headers(secret))

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "API_KEY_EXPIRED"}


async def test_key_stops_when_its_owner_leaves_the_organization(
    client, session, redis, world
) -> None:
    secret = await make_api_key(session, organization=world["acme"], user=world["alice"])
    await session.commit()
    assert (await client.post("/graphql", json={"query": ORGS},
                              headers=key_headers(secret))).status_code == 200

    await session.execute(delete(Membership).where(
        Membership.user_id == world["alice"].id, Membership.organization_id == world["acme"].id))
    await session.commit()
    await invalidate_user(redis, world["alice"].id)
    response = await client.post("/graphql", json={"query": ORGS}, headers=key_headers(secret))

    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"] == {"code": "API_KEY_REVOKED"}


async def test_last_used_at_is_written_at_most_once_a_minute(app, session, world) -> None:
    secret = await make_api_key(session, organization=world["acme"], user=world["alice"])
    await session.commit()
    db, redis = app.state.db, app.state.redis

    await principal_for_api_key(db, redis, secret)
    first = await session.scalar(select(ApiKey.last_used_at))
    await session.execute(update(ApiKey).values(last_used_at=None))
    await session.commit()
    await principal_for_api_key(db, redis, secret)
    second = await session.scalar(select(ApiKey.last_used_at))

    assert first is not None
    assert second is None  # the second use within a minute did not write

