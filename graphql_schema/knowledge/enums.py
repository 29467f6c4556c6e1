"""Enums of the knowledge domain, generated from the values the tables allow."""

from db.models.knowledge import UPLOAD_STATUSES, VECTOR_STORES
from graphql_schema.scalars import db_enum

VectorStore = db_enum("VectorStore", VECTOR_STORES, "Where a collection's chunk vectors live.")
DocumentUploadStatus = db_enum(
    "DocumentUploadStatus", UPLOAD_STATUSES, "uploading → processing → completed or failed."
)
