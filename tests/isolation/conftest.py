"""Fixtures of the isolation tests: the schema, and organizations A and B with every type."""

from __future__ import annotations

import pytest

from graphql_schema.schema import build_schema
from tests.conftest import bearer_headers
from tests.factories.identity import make_user
from tests.isolation.world import build_world


@pytest.fixture(scope="module")
def graphql_schema(settings):
    return build_schema(settings)._schema


@pytest.fixture
async def worlds(app, db, session):
    """Organizations A and B, each with every type; B's owner is A's outsider."""
    a, b = await build_world(session, "a"), await build_world(session, "b")
    await session.commit()
    callers = {
        "outsider": await bearer_headers(app, session, b.owner),
        "outsider_viewer": await bearer_headers(app, session, b.viewer),
        "anonymous": {},
        "viewer": await bearer_headers(app, session, a.viewer),
        "owner": await bearer_headers(app, session, a.owner),
    }
    root = await make_user(session, username="matrix-root")
    root.is_superuser = True
    callers["superuser"] = await bearer_headers(app, session, root)
    callers["revoked"] = await bearer_headers(app, session, a.owner)
    from services.security.principals import invalidate_session
    from services.security.tokens import decode_access_token
    from services.settings import secret_key

    token = callers["revoked"]["authorization"].removeprefix("Bearer ")
    claims = decode_access_token(secret_key(app.state.settings), token)
    await db.fetch("UPDATE user_sessions SET revoked_at = now() WHERE id = $1", claims.session_id)
    await invalidate_session(app.state.redis, claims.session_id)
    return a, b, callers
