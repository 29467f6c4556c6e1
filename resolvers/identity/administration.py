"""suspendUser and reactivateUser: platform superusers stop and restore an account.

Suspension ends the account's sessions and, through its status, stops its API keys (a key
works only while its owner is active): after the commit the account's cached principal is
dropped, so the next request of any token or key of it is refused. The keys are kept and work
again after reactivateUser; the sessions are not (log in again).
"""

from __future__ import annotations

import uuid

from db.models import User, UserSession
from graphql_schema.context import Info
from graphql_schema.errors import Forbidden, NotFound
from graphql_schema.identity import types
from graphql_schema.identity.inputs import ReactivateUserInput, SuspendUserInput
from graphql_schema.identity.payloads import AccountErrorCode as Code
from graphql_schema.identity.payloads import ReactivateUserPayload, SuspendUserPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.identity.accounts import revoke_sessions, user_node
from resolvers.mutations import (
    InvalidInput,
    Problem,
    Transaction,
    mutation_payload,
    require_authenticated,
    write,
)
from services.security.principals import invalidate_session, invalidate_user

SUSPENDED, ACTIVE = "suspended", "active"


def _require_superuser(info: Info) -> None:
    require_authenticated(info)
    principal = info.context.principal
    if not principal.is_superuser or principal.scopes is not None:
        raise Forbidden("Only platform superusers suspend and reactivate accounts")


async def _user(tx: Transaction, user_id: uuid.UUID) -> User:
    user = await tx.session.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user", field="userId")
    return user


async def suspend_user(info: Info, input: SuspendUserInput) -> SuspendUserPayload:
    _require_superuser(info)
    user_id = decode_global_id_of(input.user_id, types.User, field="userId")

    async def body() -> SuspendUserPayload:
        if user_id == info.context.principal.user_id:
            raise InvalidInput(Problem("userId", "You cannot suspend your own account",
                                       Code.INVALID))
        async with write(info) as tx:
            user = await _user(tx, user_id)
            if user.status == SUSPENDED:
                raise InvalidInput(Problem("userId", "This account is already suspended",
                                           Code.ALREADY_SUSPENDED))
            old_status, user.status = user.status, SUSPENDED
            revoked = await revoke_sessions(tx, UserSession.user_id == user_id)
            await tx.audit("user.suspend", resource_type="user", resource_id=user_id,
                           organization_id=None, old={"status": old_status},
                           new={"status": SUSPENDED, "reason": input.reason,
                                "revoked_sessions": len(revoked)})
            node = user_node(user)
        await invalidate_user(info.context.redis, user_id)
        await invalidate_session(info.context.redis, *revoked)
        return SuspendUserPayload(user=node)

    return await mutation_payload(body, lambda e: SuspendUserPayload(user_errors=e))


async def reactivate_user(info: Info, input: ReactivateUserInput) -> ReactivateUserPayload:
    _require_superuser(info)
    user_id = decode_global_id_of(input.user_id, types.User, field="userId")

    async def body() -> ReactivateUserPayload:
        async with write(info) as tx:
            user = await _user(tx, user_id)
            if user.status != SUSPENDED:
                raise InvalidInput(Problem("userId", "This account is not suspended",
                                           Code.NOT_SUSPENDED))
            user.status = ACTIVE
            await tx.audit("user.reactivate", resource_type="user", resource_id=user_id,
                           organization_id=None, old={"status": SUSPENDED},
                           new={"status": ACTIVE})
            node = user_node(user)
        await invalidate_user(info.context.redis, user_id)
        return ReactivateUserPayload(user=node)

    return await mutation_payload(body, lambda e: ReactivateUserPayload(user_errors=e))
