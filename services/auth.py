"""Who is calling: `Authorization: Bearer <access token or API key>` -> Principal.

No header means anonymous: such a caller sees no tenant data. A header that is present but
unusable is refused outright with a code the client can act on (TOKEN_EXPIRED: refresh;
TOKEN_INVALID, SESSION_REVOKED, API_KEY_INVALID, API_KEY_REVOKED, API_KEY_EXPIRED: log in or
replace the key), never silently downgraded to anonymous.
"""

from __future__ import annotations

from typing import Any

from db.scope import Principal
from services.ratelimit import Count
from services.security.principals import principal_for_access_token
from services.security.tokens import TokenError

API_KEY_PREFIX = "aip_"


async def authenticate(authorization: str | None, state: Any, count: Count | None = None
                       ) -> Principal:
    """The principal for an Authorization header value; raises TokenError when unusable.
    `count`: the request to count against the caller's rate limit in the round trip that
    reads an access token's session, when it can."""
    if not authorization:
        return Principal.anonymous()
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise TokenError("TOKEN_INVALID", "Use the header `Authorization: Bearer <token>`")
    if credential.startswith(API_KEY_PREFIX):
        from services.security.api_keys import principal_for_api_key

        return await principal_for_api_key(state.db, state.redis, credential)
    return await principal_for_access_token(state.settings, state.db, state.redis, credential,
                                            count=count)
