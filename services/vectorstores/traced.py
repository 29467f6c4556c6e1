"""Vector-store calls as spans of the request or ingestion that made them (only while tracing
is on): one CLIENT span per call, named for the operation and the store, with the collection
as an attribute. Qdrant's and Chroma's HTTP requests and pgvector's SQL are its children."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from services import telemetry
from services.vectorstores.base import VectorStore

SYSTEMS = {"pgvector": "postgresql"}  # the database underneath, by OpenTelemetry's names


class TracedStore:
    """Wraps a store: its three operations traced, anything else passed through."""

    def __init__(self, store: VectorStore, name: str) -> None:
        self.store = store
        self.name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.store, attribute)

    def _span(self, operation: str, arguments: dict[str, Any]) -> Any:
        collection = arguments.get("collection_id")
        return telemetry.span(f"{operation} {self.name}", {
            "db.system.name": SYSTEMS.get(self.name, self.name),
            "db.operation.name": operation,
            "aiplatform.vector_store": self.name,
            "aiplatform.knowledge.collection_id": str(collection) if collection else "",
        }, kind=SpanKind.CLIENT)

    async def replace_document(self, session: Any, **arguments: Any) -> Any:
        with self._span("replace_document", arguments):
            return await self.store.replace_document(session, **arguments)

    async def delete_document(self, session: Any, **arguments: Any) -> Any:
        with self._span("delete_document", arguments):
            return await self.store.delete_document(session, **arguments)

    async def search(self, session: Any, **arguments: Any) -> Any:
        with self._span("search", arguments) as span:
            hits = await self.store.search(session, **arguments)
            if span is not None:
                span.set_attribute("aiplatform.vector_store.hits", len(hits))
            return hits
