"""Factories of the identity domain: keyword-only, flushed, uncommitted."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Membership, Organization, User

_seq = itertools.count(1)


async def make_organization(
    session: AsyncSession, *, name: str | None = None, slug: str | None = None
) -> Organization:
    n = next(_seq)
    org = Organization(name=name or f"Org {n}", slug=slug or f"org-{n}")
    session.add(org)
    await session.flush()
    return org


async def make_user(session: AsyncSession, *, username: str | None = None) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    user = User(email=f"{username}@example.com", username=username)
    session.add(user)
    await session.flush()
    return user


async def make_membership(
    session: AsyncSession, *, organization: Organization, user: User, role: str = "member"
) -> Membership:
    membership = Membership(organization_id=organization.id, user_id=user.id, role=role)
    session.add(membership)
    await session.flush()
    return membership
