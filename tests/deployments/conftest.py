"""Fixtures of the deployments tests: an organization with every role, and the live server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.relay import to_base64

from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model, make_model_version
from tests.factories.identity import make_membership, make_organization, make_user
from tests.system.live_server import server  # noqa: F401  (the fixture)


@dataclass
class Acme:
    """An organization with a model version, its admin, a member, a viewer, and an outsider."""

    org: Any
    version: Any
    admin: Any
    headers: dict[str, dict[str, str]]

    @property
    def version_id(self) -> str:
        return to_base64("ModelVersion", self.version.id)


@pytest.fixture
async def acme(app, session) -> Acme:
    org, other = await make_organization(session), await make_organization(session)
    version = await make_model_version(session, model=await make_model(session, organization=org),
                                       version="v1")
    users = {role: await make_user(session, username=role)
             for role in ("admin", "member", "viewer", "outsider")}
    for role in ("admin", "member", "viewer"):
        await make_membership(session, organization=org, user=users[role], role=role)
    await make_membership(session, organization=other, user=users["outsider"], role="owner")
    headers = {role: await bearer_headers(app, session, user) for role, user in users.items()}
    headers["anonymous"] = {}
    return Acme(org, version, users["admin"], headers)


