"""Relations of the deployments domain, declared as data (see db/loaders/base.py)."""

from db.loaders.base import Order, Relation

DEPLOYMENTS = Relation("deployments", "deployments")
DEPLOYMENTS_BY_ORGANIZATION = Relation("deployments", "deployments", parent_key="organization_id")
DEPLOYMENTS_BY_MODEL_VERSION = Relation(
    "deployments", "deployments", parent_key="model_version_id"
)
DEPLOYMENTS_BY_APPLICATION = Relation("deployments", "deployments", parent_key="application_id")
APPLICATIONS = Relation("applications", "applications")
COMPONENTS_BY_APPLICATION = Relation(
    "components", "application_components", parent_key="application_id",
    default_order=Order(("order_index", "id")),
)
