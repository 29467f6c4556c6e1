"""Relations of the AI-models domain."""

from db.loaders.base import Relation

AI_MODELS = Relation("models", "ai_models", live_only=True)
AI_MODELS_BY_ORGANIZATION = Relation(
    "models", "ai_models", parent_key="organization_id", live_only=True
)
MODEL_VERSIONS_BY_MODEL = Relation("versions", "model_versions", parent_key="model_id")
