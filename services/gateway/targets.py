"""What a request's `model` names: the deployments of that name the caller may invoke, each
with its model version's model (provider, config, pricing).

Deployments sharing a name in one environment of one organization form a group whose
`traffic_percentage`s split the requests (routing.py). When the caller reaches several
groups of that name (other environments, or several organizations for a person in more than
one), the first by environment (production, staging, dev, then others by name) and then by
organization id answers, so a name resolves the same way every time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from db.scope import Principal
from db.session import Database

INVOKE = "inference:invoke"
RUNNING = "running"
ENVIRONMENT_ORDER = ("production", "staging", "dev")

TARGETS_SQL = """
SELECT d.id, d.organization_id, d.name, d.environment, d.status, d.traffic_percentage,
       m.id, m.name, m.provider, m.model_type, m.capabilities, m.config, m.pricing,
       v.id, f.storage_path
FROM deployments d
JOIN model_versions v ON v.id = d.model_version_id
JOIN ai_models m ON m.id = v.model_id AND m.deleted_at IS NULL
LEFT JOIN files f ON f.id = v.file_id AND f.deleted_at IS NULL
WHERE d.name = $1 AND ($2::uuid[] IS NULL OR d.organization_id = ANY($2::uuid[]))
ORDER BY d.id"""
RUNNING_SQL = """
SELECT DISTINCT ON (d.organization_id, d.environment, d.name)
       d.name, d.organization_id, d.environment, min(d.created_at) OVER w
FROM deployments d
WHERE d.status = 'running' AND d.model_version_id IS NOT NULL
  AND ($1::uuid[] IS NULL OR d.organization_id = ANY($1::uuid[]))
WINDOW w AS (PARTITION BY d.organization_id, d.environment, d.name)
ORDER BY d.organization_id, d.environment, d.name"""


@dataclass(frozen=True, slots=True)
class Target:
    """One deployment a request may reach, and how to call its model."""

    deployment_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    environment: str
    status: str
    traffic_percentage: float
    model_id: uuid.UUID
    model_name: str
    provider: str
    model_type: str
    capabilities: tuple[str, ...]
    config: dict[str, Any]
    pricing: dict[str, Any]
    model_version_id: uuid.UUID
    artifact_path: str | None  # the version's file (`bucket/key`): an ONNX model to predict with

    @property
    def embeds(self) -> bool:
        return self.model_type == "embedding" or "embedding" in self.capabilities


def invokable_organizations(principal: Principal) -> list[uuid.UUID] | None:
    """The organizations where the caller holds inference:invoke; None: every one (a
    platform superuser's token)."""
    if principal.organization_ids is None:  # a superuser's answer is the same everywhere
        return None if principal.can(INVOKE, uuid.UUID(int=0)) else []
    return sorted(o for o in principal.organization_ids if principal.can(INVOKE, o))


async def targets_named(db: Database, name: str, organizations: list[uuid.UUID] | None
                        ) -> list[Target]:
    """Every deployment called `name` in those organizations, whatever its status."""
    rows = await db.fetch(TARGETS_SQL, name, organizations)
    return [Target(r[0], r[1], r[2], r[3], r[4], float(r[5]), r[6], r[7], r[8], r[9],
                   tuple(str(c) for c in r[10] or ()), dict(r[11] or {}), dict(r[12] or {}),
                   r[13], r[14])
            for r in rows]


def _group_order(target: Target) -> tuple[int, str, str]:
    env = target.environment
    rank = ENVIRONMENT_ORDER.index(env) if env in ENVIRONMENT_ORDER else len(ENVIRONMENT_ORDER)
    return rank, env, str(target.organization_id)


def running_group(targets: Sequence[Target]) -> list[Target]:
    """The running deployments of the group that answers (see the module's docstring)."""
    running = [t for t in targets if t.status == RUNNING]
    if not running:
        return []
    first = min(running, key=_group_order)
    return [t for t in running
            if (t.organization_id, t.environment) == (first.organization_id, first.environment)]


@dataclass(frozen=True, slots=True)
class Listed:
    """A deployment name `GET /v1/models` lists."""

    name: str
    organization_id: uuid.UUID
    created: int  # unix seconds of the group's first deployment


async def running_names(db: Database, organizations: list[uuid.UUID] | None) -> list[Listed]:
    """Each name with a running deployment the caller may invoke, once."""
    rows = await db.fetch(RUNNING_SQL, organizations)
    seen: dict[str, Listed] = {}
    for name, org, _env, created in rows:
        seen.setdefault(name, Listed(name, org, int(created.timestamp())))
    return sorted(seen.values(), key=lambda listed: listed.name)
