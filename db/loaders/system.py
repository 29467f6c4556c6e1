"""Relations of the system domain, declared as data (see db/loaders/base.py).

system_settings and system_logs are platform tables, listed from the root only; db/scope.py
says who sees which rows (public settings: everyone; the rest: superusers).
"""

from db.loaders.base import Order, Relation

# an audit trail is read newest first
AUDIT_LOGS_BY_ORGANIZATION = Relation(
    "auditLogs", "audit_logs", parent_key="organization_id",
    default_order=Order(("created_at", "id"), descending=True),
)
NOTIFICATIONS_BY_USER = Relation(
    "notifications", "notifications", parent_key="user_id",
    default_order=Order(("created_at", "id"), descending=True),
)
SYSTEM_SETTINGS = Relation(
    "systemSettings", "system_settings", default_order=Order(("category", "key", "id")),
)
# logs are read newest first
SYSTEM_LOGS = Relation(
    "systemLogs", "system_logs", default_order=Order(("created_at", "id"), descending=True),
)
