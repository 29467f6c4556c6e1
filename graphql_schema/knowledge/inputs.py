"""Filter and order inputs of the knowledge domain."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from graphql_schema.knowledge.enums import DocumentUploadStatus, VectorStore
from graphql_schema.relay import OrderDirection


@strawberry.input(description="Knowledge collections matching all given conditions.")
class KnowledgeCollectionFilter:
    organization_id: strawberry.ID | None = None
    collection_type: str | None = None
    vector_store: VectorStore | None = None
    is_active: bool | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class KnowledgeCollectionOrderField(Enum):
    ID = ("id",)
    NAME = ("name", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class KnowledgeCollectionOrder:
    field: KnowledgeCollectionOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="Knowledge documents matching all given conditions.")
class KnowledgeDocumentFilter:
    upload_status: DocumentUploadStatus | None = None
    upload_status_in: list[DocumentUploadStatus] | None = None
    file_type: str | None = None
    filename_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class KnowledgeDocumentOrderField(Enum):
    ID = ("id",)
    FILENAME = ("filename", "id")
    CREATED_AT = ("created_at", "id")


@strawberry.input
class KnowledgeDocumentOrder:
    field: KnowledgeDocumentOrderField
    direction: OrderDirection = OrderDirection.ASC


@strawberry.input(description="RAG queries matching all given conditions.")
class RagQueryFilter:
    user_id: strawberry.ID | None = None
    query_text_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.enum
class RagQueryOrderField(Enum):
    ID = ("id",)
    CREATED_AT = ("created_at", "id")


@strawberry.input
class RagQueryOrder:
    field: RagQueryOrderField
    direction: OrderDirection = OrderDirection.ASC
