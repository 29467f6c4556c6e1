"""Enums of the AI-models domain, generated from the values the tables allow."""

from db.models.ai_models import MODEL_STATUSES, VERSION_STATUSES
from graphql_schema.scalars import db_enum

AiModelStatus = db_enum("AiModelStatus", MODEL_STATUSES)
ModelVersionStatus = db_enum(
    "ModelVersionStatus", VERSION_STATUSES, "Lifecycle: draft → staging → production → archived."
)
