"""Enums of the knowledge domain, generated from the values the tables allow."""

from enum import Enum

import strawberry

from db.models.knowledge import UPLOAD_STATUSES, VECTOR_STORES
from graphql_schema.scalars import db_enum

VectorStore = db_enum("VectorStore", VECTOR_STORES, "Where a collection's chunk vectors live.")


@strawberry.enum(description="Where a document is in ingestion: PENDING → PROCESSING → READY, "
                             "or FAILED with `error` set.")
class KnowledgeDocumentStatus(Enum):
    PENDING = "uploading"
    PROCESSING = "processing"
    READY = "completed"
    FAILED = "failed"


DocumentUploadStatus = db_enum(
    "DocumentUploadStatus", UPLOAD_STATUSES, "uploading → processing → completed or failed."
)
