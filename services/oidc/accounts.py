"""Who a verified ID token logs in as: the user linked to its (issuer, subject); else the
account with the same *verified* email, linked now; else a new account. Organization roles
come from a configured claim ("organization-slug:role" entries) and are applied at each login.

An email is trusted only when the provider says it verified it: linking an existing account by
an unverified email would let anyone who can register that address at the provider take the
account over.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, Membership, Organization, User, UserIdentity
from db.models.identity import MEMBERSHIP_ROLES
from services.oidc.client import OidcError
from services.settings import Settings

NOT_USERNAME = re.compile(r"[^a-zA-Z0-9_.-]+")


async def account_for(session: AsyncSession, settings: Settings, claims: dict[str, Any], *,
                      ip_address: str | None = None) -> uuid.UUID:
    """The id of the user `claims` log in as (created or linked if need be), in the caller's
    transaction; OidcError when the login is refused."""
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) and email.strip() else None
    verified = claims.get("email_verified") in (True, "true")
    _check_domain(settings, email)
    identity = await session.scalar(select(UserIdentity).where(
        UserIdentity.issuer == claims["iss"], UserIdentity.subject == claims["sub"]
    ).with_for_update())
    now = datetime.now(UTC)
    if identity is not None:
        user = await session.get(User, identity.user_id, with_for_update=True)
        action = "session.log_in_sso"
    else:
        if email is None or not verified:
            raise OidcError("access_denied", "The identity provider did not confirm an email "
                                             "address for this account")
        user = await session.scalar(select(User).where(func.lower(User.email) == email)
                                    .with_for_update())
        action = "user.link_sso" if user is not None else "user.sign_up_sso"
        if user is None:
            user = await _new_user(session, claims, email)
        identity = UserIdentity(user_id=user.id, issuer=claims["iss"], subject=claims["sub"])
        session.add(identity)
    assert user is not None
    if user.deleted_at is not None or user.status not in ("active", "pending"):
        raise OidcError("access_denied", "This account is disabled")
    user.status = "active"  # an invited (pending) account is activated by its first login
    user.last_login_at = identity.last_login_at = now
    identity.email = email
    session.add(AuditLog(user_id=user.id, action=action, resource_type="user",
                         resource_id=str(user.id), ip_address=ip_address,
                         new_values={"issuer": claims["iss"], "subject": claims["sub"]}))
    await session.flush()
    if settings.oidc_roles_claim:
        await _apply_roles(session, user, claims.get(settings.oidc_roles_claim), ip_address)
    return user.id


def _check_domain(settings: Settings, email: str | None) -> None:
    domains = settings.oidc_domains
    if domains and (email is None or email.rpartition("@")[2] not in domains):
        raise OidcError("access_denied", "Accounts of this email domain may not log in here")


async def _new_user(session: AsyncSession, claims: dict[str, Any], email: str) -> User:
    wanted = claims.get("preferred_username") or email.partition("@")[0]
    base = NOT_USERNAME.sub("-", str(wanted)).strip("-.")[:140] or "user"
    base = base if len(base) >= 3 else f"{base}-user"
    username = base
    while await session.scalar(select(User.id).where(User.username == username)) is not None:
        username = f"{base}-{secrets.token_hex(3)}"
    user = User(id=uuid.uuid4(), email=email, username=username, status="active",
                first_name=_name(claims.get("given_name")),
                last_name=_name(claims.get("family_name")))
    session.add(user)
    await session.flush()
    return user


def _name(value: object) -> str | None:
    return value.strip()[:150] or None if isinstance(value, str) else None


async def _apply_roles(session: AsyncSession, user: User, entries: object,
                       ip_address: str | None) -> None:
    """Each "slug:role" entry makes the user a member of that organization with that role;
    unknown organizations and roles are ignored (the provider may serve other applications)."""
    wanted: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        slug, _, role = str(entry).partition(":")
        if role in MEMBERSHIP_ROLES:
            wanted[slug.strip()] = role
    if not wanted:
        return
    organizations = (await session.execute(select(Organization.id, Organization.slug).where(
        Organization.slug.in_(wanted), Organization.is_active,
        Organization.deleted_at.is_(None)))).all()
    for organization_id, slug in organizations:
        membership = await session.scalar(select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user.id
        ).with_for_update())
        old = membership.role if membership is not None else None
        if old == wanted[slug]:
            continue
        if membership is None:
            session.add(Membership(organization_id=organization_id, user_id=user.id,
                                   role=wanted[slug]))
        else:
            membership.role = wanted[slug]
        session.add(AuditLog(organization_id=organization_id, user_id=user.id,
                             action="membership.sso_role", resource_type="membership",
                             resource_id=str(user.id), ip_address=ip_address,
                             old_values={"role": old}, new_values={"role": wanted[slug]}))
    await session.flush()
