"""Shared by the AI-models tests: who calls, and what the database holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.relay import to_base64

from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_organization, make_user


@dataclass
class World:
    acme: Any
    other: Any
    member: dict[str, str]
    viewer: dict[str, str]
    outsider: dict[str, str]

    @property
    def acme_id(self) -> str:
        return to_base64("Organization", self.acme.id)


async def make_world(app, session) -> World:
    """acme has a member (model:write) and a viewer; the outsider owns another organization."""
    acme, other = (await make_organization(session, slug="acme"),
                   await make_organization(session, slug="other"))
    member, viewer, outsider = (await make_user(session, username="mia"),
                                await make_user(session, username="vic"),
                                await make_user(session, username="otto"))
    await make_membership(session, organization=acme, user=member, role="member")
    await make_membership(session, organization=acme, user=viewer, role="viewer")
    await make_membership(session, organization=other, user=outsider, role="owner")
    await session.commit()
    return World(acme, other, await bearer_headers(app, session, member),
                 await bearer_headers(app, session, viewer),
                 await bearer_headers(app, session, outsider))


async def count(db, table: str) -> int:
    return (await db.fetch(f"SELECT count(*) FROM {table}"))[0][0]


async def audit_actions(db) -> list[str]:
    return [r[0] for r in await db.fetch("SELECT action FROM audit_logs ORDER BY created_at")]
