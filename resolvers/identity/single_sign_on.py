"""`completeOidcLogin`: the last step of single sign-on (app/http/oidc.py has the others).

The callback has already verified the ID token and linked or created the account; here the
frontend's one-time code becomes a login session like `logIn`'s, audited the same way.
"""

from __future__ import annotations

from db.models import User
from graphql_schema.context import Info
from graphql_schema.identity.inputs import CompleteOidcLoginInput
from graphql_schema.identity.payloads import AccountErrorCode as Code
from graphql_schema.identity.payloads import CompleteOidcLoginPayload
from resolvers.identity.accounts import client_of, user_node
from resolvers.mutations import InvalidInput, Problem, mutation_payload, write
from services.oidc.handoff import redeem_code
from services.security.sessions import open_session

BAD_CODE = Problem("code", "This sign-in code is unknown, was already used or has expired: "
                           "sign in again", Code.OIDC_CODE_INVALID)


async def complete_oidc_login(info: Info, input: CompleteOidcLoginInput
                              ) -> CompleteOidcLoginPayload:
    async def body() -> CompleteOidcLoginPayload:
        user_id = await redeem_code(info.context.redis, input.code.strip())
        if user_id is None:
            raise InvalidInput(BAD_CODE)
        async with write(info) as tx:
            user = await tx.session.get(User, user_id, with_for_update=True)
            if user is None or user.status != "active" or user.deleted_at is not None:
                raise InvalidInput(BAD_CODE)
            tokens = await open_session(tx.session, info.context.settings, user_id=user.id,
                                        **client_of(info))
            await tx.audit("session.log_in", resource_type="user_session",
                           resource_id=tokens.session_id, organization_id=None,
                           new={"user_id": user.id, "method": "oidc"}, actor_id=user.id)
            node = user_node(user)
        return CompleteOidcLoginPayload(user=node, access_token=tokens.access_token,
                                        refresh_token=tokens.refresh_token)

    return await mutation_payload(body, lambda errors: CompleteOidcLoginPayload(
        user_errors=errors))
