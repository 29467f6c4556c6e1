"""Enums of the AI-models domain, generated from the values the tables allow."""

from db.loaders.performance import BUCKETS
from db.models.ai_models import ALERT_DIRECTIONS, MODEL_STATUSES, VERSION_STATUSES
from graphql_schema.scalars import db_enum

AiModelStatus = db_enum("AiModelStatus", MODEL_STATUSES)
ModelVersionStatus = db_enum(
    "ModelVersionStatus", VERSION_STATUSES, "Lifecycle: draft → staging → production → archived."
)

AlertDirection = db_enum(
    "AlertDirection", ALERT_DIRECTIONS, "Whether a threshold is crossed going above or below."
)
MetricBucket = db_enum(
    "MetricBucket", tuple(BUCKETS), "The span (UTC) a point of a performance series covers."
)
