"""Relations of the system domain, declared as data (see db/loaders/base.py).

Only tables with `organization_id` appear here: system_settings and system_logs have none,
so db/scope.py would have no tenant rule for them.
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
