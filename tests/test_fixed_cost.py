"""What the per-request shortcuts must not weaken: document limits, token expiry and
revocation with a token's signature checked once, page arguments converted once."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import jwt

from app.main import create_app
from services.security import principals
from tests.conftest import bearer_headers
from tests.factories.identity import make_organization, make_user
from tests.graphql import error_codes, gql

VIEWER = "{ viewer { username } }"


async def test_alias_and_token_limits_still_refuse(superuser_client) -> None:
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(51)) + " }"
    tokens = "{ " + "__typename " * 5001 + "}"

    too_many_aliases = await gql(superuser_client, aliases)
    too_many_tokens = (await superuser_client.post("/graphql", json={"query": tokens})).json()

    assert too_many_aliases["data"] is None
    assert "aliases found" in too_many_aliases["errors"][0]["message"]
    assert too_many_tokens.get("data") is None
    assert "more than 5000 tokens" in too_many_tokens["errors"][0]["message"]


async def test_a_checked_token_still_expires(app, client, session, monkeypatch) -> None:
    user = await make_user(session)
    headers = await bearer_headers(app, session, user)
    assert (await gql(client, VIEWER, headers=headers))["data"]["viewer"]["username"]

    class Later(datetime):  # an hour on: the 15-minute token has expired
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime.now(tz) + timedelta(hours=1)

    real_time = principals.time.time
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    monkeypatch.setattr(principals.time, "time", lambda: real_time() + 3600)
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    assert response.status_code == 401
    assert error_codes(response.json()) == ["TOKEN_EXPIRED"]


async def test_a_checked_token_is_refused_as_soon_as_its_session_ends(app, client, session
                                                                       ) -> None:
    user = await make_user(session)
    headers = await bearer_headers(app, session, user)
    assert (await gql(client, VIEWER, headers=headers))["data"]["viewer"]["username"]

    logged_out = await gql(client, "mutation { logOut { ok } }", headers=headers)
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    assert logged_out["data"]["logOut"]["ok"] is True
    assert response.status_code == 401
    assert error_codes(response.json()) == ["SESSION_REVOKED"]


async def test_page_arguments_follow_each_requests_variables(superuser_client, session
                                                             ) -> None:
    for slug in ("a", "b", "c"):
        await make_organization(session, name=slug, slug=slug)
    await session.commit()
    query = ("query ($n: Int) { organizations(first: $n, orderBy: {field: NAME, direction: ASC})"
             " { edges { node { slug } } } }")

    def slugs(body: dict) -> list[str]:
        return [e["node"]["slug"] for e in body["data"]["organizations"]["edges"]]

    one = await gql(superuser_client, query, {"n": 1})
    two = await gql(superuser_client, query, {"n": 2})
    one_again = await gql(superuser_client, query, {"n": 1})
    too_many = await gql(superuser_client, query, {"n": 1000})

    assert (slugs(one), slugs(two), slugs(one_again)) == (["a"], ["a", "b"], ["a"])
    assert error_codes(too_many) == ["BAD_USER_INPUT"]


async def test_another_process_ending_a_session_is_seen_within_the_auth_cache_time(
        settings, session, db, monkeypatch) -> None:
    # without rate limits, so no claimed slot decides when Redis is asked again
    app = create_app(settings.model_copy(update={"rate_limit_enabled": False}))
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://test") as client):
        headers = await bearer_headers(app, session, await make_user(session))
        first = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
        session_id = next(reversed(principals._signed_in.values())).principal.session_id

        # another process logs the session out: the row and Redis change, this process's
        # memory of the token does not (its own invalidate_session would clear it at once)
        await db.fetch("UPDATE user_sessions SET revoked_at = now() WHERE id = $1", session_id)
        await app.state.redis.delete(principals.session_key(session_id))
        soon = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
        real_monotonic = principals.time.monotonic
        monkeypatch.setattr(principals.time, "monotonic",
                            lambda: real_monotonic() + app.state.settings.auth_cache_seconds)
        later = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    assert first.status_code == soon.status_code == 200  # within the second it trusts
    assert later.status_code == 401
    assert error_codes(later.json()) == ["SESSION_REVOKED"]
