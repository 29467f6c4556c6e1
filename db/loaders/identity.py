"""Relations of the identity domain, declared as data (see db/loaders/base.py)."""

from db.loaders.base import Relation, Through

ORGANIZATIONS = Relation("organizations", "organizations")
USERS = Relation("users", "users", live_only=True)
MEMBERSHIPS_BY_ORGANIZATION = Relation("members", "memberships", parent_key="organization_id")
MEMBERSHIPS_BY_USER = Relation("memberships", "memberships", parent_key="user_id")
ORGANIZATIONS_BY_USER = Relation(
    "organizations", "organizations", parent_key="id",
    through=Through("memberships", parent_column="user_id", child_column="organization_id"),
)
