"""inviteMember, acceptInvitation and revokeInvitation.

An invitation is a row with the hash of a mailed token, pending for INVITATION_TTL. Accepting
it creates the account (or activates a `pending` one, or proves an existing one by its
password), adds the membership with the invited role and logs in, in one transaction that
holds the invitation's row lock: a token works once, whoever races for it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from db.models import Invitation, Membership, Organization, User
from graphql_schema.context import Info
from graphql_schema.errors import NotFound
from graphql_schema.identity import types
from graphql_schema.identity.inputs import (
    AcceptInvitationInput,
    InviteMemberInput,
    RevokeInvitationInput,
)
from graphql_schema.identity.payloads import (
    AcceptInvitationPayload,
    InviteMemberPayload,
    OrganizationErrorCode,
    RevokeInvitationPayload,
)
from graphql_schema.identity.payloads import AccountErrorCode as Code
from graphql_schema.relay import decode_global_id_of
from resolvers.identity.accounts import (
    EMAIL,
    client_of,
    password_problems,
    user_node,
    username_problems,
)
from resolvers.identity.mailing import INVITATION_TTL, expiry, new_token, send_after_commit
from resolvers.identity.organizations import (
    lock_organization,
    membership_of,
    require_role_change,
)
from resolvers.mutations import InvalidInput, Problem, Transaction, mutation_payload, require, write
from services.mail import templates
from services.mail.outbox import ACCEPT_INVITATION, link, queue_mail
from services.security.passwords import hash_password, verify_password
from services.security.principals import invalidate_user
from services.security.sessions import open_session
from services.security.tokens import hash_secret

TOKEN_INVALID = Problem("token", "This invitation is used, revoked, expired or unknown: ask "
                                 "for a new one", Code.INVITATION_TOKEN_INVALID)
PENDING = (Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))


# ------------------------------------------------------------------ inviting


async def invite_member(info: Info, input: InviteMemberInput) -> InviteMemberPayload:
    org_id = decode_global_id_of(input.organization_id, types.Organization,
                                 field="organizationId")
    role = input.role.value
    require_role_change(info, org_id, role)
    inviter_id = info.context.principal.user_id

    async def body() -> InviteMemberPayload:
        email = input.email.strip().lower()
        if len(email) > 255 or not EMAIL.fullmatch(email):
            raise InvalidInput(Problem("email", "Not an email address",
                                       OrganizationErrorCode.INVALID))
        async with write(info) as tx:
            await lock_organization(tx.session, org_id)
            org = await tx.session.get(Organization, org_id)
            user = await tx.session.scalar(select(User).where(User.email == email))
            if user is not None and (user.deleted_at is not None
                                     or user.status in ("suspended", "inactive")):
                raise InvalidInput(Problem("email", "This account was closed",
                                           OrganizationErrorCode.ACCOUNT_CLOSED))
            if user is not None and await membership_of(tx.session, org_id, user.id):
                raise InvalidInput(Problem("email", "Already a member of this organization",
                                           OrganizationErrorCode.ALREADY_MEMBER))
            # a new invitation replaces a pending one: only the newest mail's link works
            await tx.session.execute(update(Invitation).where(
                Invitation.organization_id == org_id, Invitation.email == email, *PENDING)
                .values(revoked_at=datetime.now(UTC)))
            token, token_hash = new_token()
            invitation = Invitation(id=uuid.uuid4(), organization_id=org_id, email=email,
                                    role=role, token_hash=token_hash, invited_by=inviter_id,
                                    expires_at=expiry(INVITATION_TTL))
            tx.session.add(invitation)
            await tx.session.flush()
            assert org is not None  # lock_organization found it
            language = templates.language_of(
                (user.locale if user is not None else None) or org.settings.get("locale"))
            mail = templates.invitation(
                language, organization=org.name, inviter=await _inviter_name(tx, inviter_id),
                role=role, link=link(info.context.settings, ACCEPT_INVITATION, token),
                days=INVITATION_TTL.days)
            await queue_mail(tx.session, kind="invitation", to=email, language=language,
                             mail=mail)
            await send_after_commit(tx.session)
            await tx.audit("invitation.create", resource_type="invitation",
                           resource_id=invitation.id, organization_id=org_id,
                           new={"email": email, "role": role,
                                "existing_account": user is not None})
        node = await info.context.loaders.node(types.Invitation).load(invitation.id)
        return InviteMemberPayload(invitation=node)

    return await mutation_payload(body, lambda e: InviteMemberPayload(user_errors=e))


async def _inviter_name(tx: Transaction, inviter_id: uuid.UUID | None) -> str:
    inviter = None if inviter_id is None else await tx.session.get(User, inviter_id)
    if inviter is None:
        return "AI Platform"
    full = " ".join(n for n in (inviter.first_name, inviter.last_name) if n)
    return full or inviter.username


async def revoke_invitation(info: Info, input: RevokeInvitationInput
                            ) -> RevokeInvitationPayload:
    invitation_id = decode_global_id_of(input.id, types.Invitation, field="id")
    async with write(info) as tx:
        invitation = await tx.session.get(Invitation, invitation_id, with_for_update=True)
        require(info, "member:manage", invitation.organization_id if invitation else None)
        assert invitation is not None
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise NotFound("No such pending invitation", field="id")
        invitation.revoked_at = datetime.now(UTC)
        await tx.audit("invitation.revoke", resource_type="invitation",
                       resource_id=invitation.id, organization_id=invitation.organization_id,
                       old={"email": invitation.email, "role": invitation.role})
    return RevokeInvitationPayload(revoked_invitation_id=input.id)


# ------------------------------------------------------------------ accepting


async def accept_invitation(info: Info, input: AcceptInvitationInput
                            ) -> AcceptInvitationPayload:
    token_hash = hash_secret(input.token.strip())

    async def body() -> AcceptInvitationPayload:
        rows = await info.context.db.fetch(
            "SELECT i.organization_id, i.email, u.id, u.status, u.deleted_at IS NOT NULL, "
            "u.password_hash, u.username FROM invitations i LEFT JOIN users u "
            "ON u.email = i.email "
            "WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL "
            "AND i.expires_at > now()", token_hash)
        if not rows:
            raise InvalidInput(TOKEN_INVALID)
        org_id, email, user_id, status, deleted, old_hash, old_username = rows[0]
        username = (input.username or "").strip() or old_username
        new_hash = await _checked_password(input, email, user_id, status, deleted, old_hash,
                                           username)
        async with write(info) as tx:
            # the organization first, as inviting does: two locks taken in one order
            await lock_organization(tx.session, org_id)
            invitation = await tx.session.scalar(select(Invitation).where(
                Invitation.token_hash == token_hash, *PENDING).with_for_update())
            if invitation is None or invitation.expires_at <= datetime.now(UTC):
                raise InvalidInput(TOKEN_INVALID)
            user = await _account(tx, invitation.email, user_id, old_hash, username, new_hash)
            if await membership_of(tx.session, invitation.organization_id, user.id) is None:
                tx.session.add(Membership(organization_id=invitation.organization_id,
                                          user_id=user.id, role=invitation.role))
            invitation.accepted_at, invitation.accepted_by = datetime.now(UTC), user.id
            user.last_login_at = datetime.now(UTC)
            await tx.session.flush()
            node = user_node(user)
            tokens = await open_session(tx.session, info.context.settings, user_id=user.id,
                                        **client_of(info))
            await tx.audit("invitation.accept", resource_type="invitation",
                           resource_id=invitation.id,
                           organization_id=invitation.organization_id, actor_id=user.id,
                           new={"user_id": user.id, "role": invitation.role})
        await invalidate_user(info.context.redis, user.id)
        return AcceptInvitationPayload(user=node, access_token=tokens.access_token,
                                       refresh_token=tokens.refresh_token)

    return await mutation_payload(body, lambda e: AcceptInvitationPayload(user_errors=e))


async def _checked_password(input: AcceptInvitationInput, email: str, user_id: Any,
                            status: str | None, deleted: bool, old_hash: str | None,
                            username: str | None) -> str | None:
    """The new password's hash for an account to create or activate (None for an existing
    account, whose password is checked instead)."""
    if user_id is not None and (deleted or status not in ("active", "pending")):
        raise InvalidInput(Problem("token", "The invited account was closed",
                                   Code.ACCOUNT_CLOSED))
    if user_id is not None and status == "active":
        if not await asyncio.to_thread(verify_password, old_hash, input.password):
            raise InvalidInput(Problem("password", "Enter the password of your account "
                                       f"{email}", Code.INVALID_CREDENTIALS))
        return None
    if not username:
        raise InvalidInput(Problem("username", "Choose a username", Code.INVALID_USERNAME))
    problems = username_problems(username) + password_problems(
        input.password, "password", username=username, email=email)
    if problems:
        raise InvalidInput(problems)
    return await asyncio.to_thread(hash_password, input.password)


async def _account(tx: Transaction, email: str, user_id: Any, old_hash: str | None,
                   username: str, new_hash: str | None) -> User:
    """The invited account, created or activated (read again under its lock)."""
    user = None if user_id is None else await tx.session.get(User, user_id,
                                                             with_for_update=True)
    if user_id is not None and (user is None or user.password_hash != old_hash):
        raise InvalidInput(TOKEN_INVALID)  # changed meanwhile: try again
    if user is not None and new_hash is None:
        return user
    if user is None:
        user = User(id=uuid.uuid4(), email=email)
        tx.session.add(user)
    user.username, user.password_hash, user.status = username, new_hash, "active"
    try:
        await tx.session.flush()
    except IntegrityError:
        raise InvalidInput(Problem("username", "This username is already taken",
                                   Code.TAKEN)) from None
    return user
