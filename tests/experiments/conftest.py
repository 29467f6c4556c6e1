"""The people the experiments write tests act as, a row counter for "nothing written", and
real server processes for the websocket and command-line tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import to_base64

from db.models import (
    AuditLog,
    Experiment,
    Notification,
    Organization,
    Project,
    Run,
    RunMetric,
    User,
)
from tests.conftest import bearer_headers
from tests.factories.experiments import make_experiment, make_project
from tests.factories.identity import make_membership, make_organization, make_user
from tests.servers import app_servers

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Team:
    """acme: alice (member), vic (viewer); beta: bob (member), an outsider to acme."""

    acme: Organization
    beta: Organization
    alice: User
    vic: User
    bob: User
    project: Project
    experiment: Experiment
    headers: dict[str, dict[str, str]]

    def as_(self, who: str) -> dict[str, str]:
        return self.headers[who]


@pytest.fixture
async def team(app, session: AsyncSession) -> Team:
    acme, beta = await make_organization(session), await make_organization(session)
    alice = await make_user(session, username="alice")
    vic = await make_user(session, username="vic")
    bob = await make_user(session, username="bob")
    await make_membership(session, organization=acme, user=alice, role="member")
    await make_membership(session, organization=acme, user=vic, role="viewer")
    await make_membership(session, organization=beta, user=bob, role="member")
    project = await make_project(session, organization=acme, name="vision")
    experiment = await make_experiment(session, project=project, name="resnet")
    await session.commit()
    headers = {name: await bearer_headers(app, session, user)
               for name, user in (("alice", alice), ("vic", vic), ("bob", bob))}
    return Team(acme, beta, alice, vic, bob, project, experiment, headers)


def gid(type_name: str, row: Any) -> str:
    return to_base64(type_name, row.id)


COUNTED = (Project, Experiment, Run, RunMetric, AuditLog, Notification)


async def row_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per table the experiments mutations write (on a connection of its own, so the
    test's session and its objects are left alone)."""
    async with session.bind.connect() as con:
        return {model.__tablename__: await con.scalar(select(func.count()).select_from(model))
                for model in COUNTED}


async def audit_actions(session: AsyncSession) -> list[str]:
    async with session.bind.connect() as con:
        return list(await con.scalars(select(AuditLog.action).order_by(AuditLog.created_at)))


def start_servers(settings, count: int) -> Iterator[list[str]]:
    """Base URLs of `count` server processes; stopped when the generator closes."""
    with app_servers(settings, count) as urls:
        yield urls
