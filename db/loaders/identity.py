"""Relations of the identity domain, declared as data (see db/loaders/base.py), and the batch
functions of its values that are not rows (codenames)."""

import uuid

from db.loaders.base import Order, Relation, Through
from db.session import Database

# a deleted organization (deleted_at) is gone for everyone, superusers included
ORGANIZATIONS = Relation("organizations", "organizations", live_only=True)
USERS = Relation("users", "users", live_only=True)
MEMBERSHIPS_BY_ORGANIZATION = Relation("members", "memberships", parent_key="organization_id")
MEMBERSHIPS_BY_USER = Relation("memberships", "memberships", parent_key="user_id")
ORGANIZATIONS_BY_USER = Relation(
    "organizations", "organizations", parent_key="id",
    through=Through("memberships", parent_column="user_id", child_column="organization_id"),
    live_only=True,
)
# user_sessions and invitations: db/scope.py shows only live sessions and pending invitations
SESSIONS_BY_USER = Relation(
    "sessions", "user_sessions", parent_key="user_id",
    default_order=Order(("created_at", "id"), descending=True),
)
INVITATIONS_BY_ORGANIZATION = Relation("invitations", "invitations",
                                       parent_key="organization_id")
# the mail outbox is a platform table: superusers only, newest first
MAIL_OUTBOX = Relation(
    "mailOutbox", "mail_outbox", default_order=Order(("created_at", "id"), descending=True),
)
GROUPS_BY_ORGANIZATION = Relation("groups", "groups", parent_key="organization_id",
                                  default_order=Order(("name", "id")))
MEMBERS_BY_GROUP = Relation(
    "members", "users", parent_key="id",
    through=Through("group_members", parent_column="group_id", child_column="user_id"),
    live_only=True,
)
OBJECT_PERMISSIONS_BY_ORGANIZATION = Relation(
    "objectPermissions", "object_permissions", parent_key="organization_id",
    default_order=Order(("created_at", "id")),
)


async def codenames_by_group(db: Database, group_ids: list[uuid.UUID]) -> list[list[str]]:
    """The codenames each group grants, sorted, in key order."""
    rows = await db.fetch(
        "SELECT gp.group_id, p.codename FROM group_permissions gp JOIN permissions p "
        "ON p.id = gp.permission_id WHERE gp.group_id = ANY($1::uuid[]) ORDER BY p.codename",
        group_ids)
    found: dict[uuid.UUID, list[str]] = {}
    for group_id, codename in rows:
        found.setdefault(group_id, []).append(codename)
    return [found.get(g, []) for g in group_ids]


async def codenames_by_membership(db: Database, membership_ids: list[uuid.UUID]
                                  ) -> list[list[str]]:
    """The direct grants (user_permissions) of each member in its organization, sorted."""
    rows = await db.fetch(
        "SELECT m.id, p.codename FROM memberships m JOIN user_permissions up "
        "ON up.organization_id = m.organization_id AND up.user_id = m.user_id "
        "JOIN permissions p ON p.id = up.permission_id WHERE m.id = ANY($1::uuid[]) "
        "ORDER BY p.codename", membership_ids)
    found: dict[uuid.UUID, list[str]] = {}
    for membership_id, codename in rows:
        found.setdefault(membership_id, []).append(codename)
    return [found.get(m, []) for m in membership_ids]


async def codename_by_permission(db: Database, permission_ids: list[uuid.UUID]
                                 ) -> list[str | None]:
    rows = await db.fetch("SELECT id, codename FROM permissions WHERE id = ANY($1::uuid[])",
                          permission_ids)
    found = dict(rows)
    return [found.get(p) for p in permission_ids]
