"""Relations of the AI-models domain."""

from db.loaders.base import Order, Relation

AI_MODELS = Relation("models", "ai_models", live_only=True)
AI_MODELS_BY_ORGANIZATION = Relation(
    "models", "ai_models", parent_key="organization_id", live_only=True
)
MODEL_VERSIONS_BY_MODEL = Relation("versions", "model_versions", parent_key="model_id")
# measurements are read newest first
USAGE_LOGS_BY_MODEL = Relation(
    "usageLogs", "model_usage_logs", parent_key="model_id",
    default_order=Order(("created_at", "id"), descending=True),
)
ALERT_THRESHOLDS_BY_MODEL = Relation("alertThresholds", "model_alert_thresholds",
                                     parent_key="model_id")
