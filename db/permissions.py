"""The permission table: which role may do what in an organization (codenames `thing:verb`).

Reading is granted by membership itself (any role sees its organizations' data); these
codenames guard writes. Groups and object grants add codenames on top of a role.
"""

from __future__ import annotations

READ_ONLY: frozenset[str] = frozenset()

MEMBER_PERMISSIONS = frozenset({
    "model:write",
    "chat:write",
    "dataset:write",
    "experiment:write",
    "knowledge:write",
    "analysis:write",
    "file:write",
    "inference:invoke",  # call deployments through the OpenAI-compatible gateway (/v1)
})

ADMIN_PERMISSIONS = MEMBER_PERMISSIONS | {
    "deployment:manage",
    "member:manage",
    "group:manage",
    "apikey:manage",
    "audit:read",
    "organization:update",
}

OWNER_PERMISSIONS = ADMIN_PERMISSIONS | {"organization:delete", "owner:manage"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": OWNER_PERMISSIONS,
    "admin": ADMIN_PERMISSIONS,
    "member": MEMBER_PERMISSIONS,
    "viewer": READ_ONLY,
}

ALL_PERMISSIONS: frozenset[str] = OWNER_PERMISSIONS
