"""Relations of the identity domain, declared as data (see db/loaders/base.py)."""

from db.loaders.base import Order, Relation, Through

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
