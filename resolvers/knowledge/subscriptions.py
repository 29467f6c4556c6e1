"""knowledgeDocumentStatus: a document's ingestion progress, for those who may read it.

Joins the Redis channel `knowledge_document:{id}` before reading the document, sends it as it
is, then again after each status the worker publishes; the stream ends once the document is
completed or failed (or gone). A document the caller cannot read is NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from graphql_schema.context import Info, Loaders
from graphql_schema.errors import NotFound
from graphql_schema.knowledge.types import KnowledgeDocument
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import require_authenticated
from resolvers.system.live import live_events
from services.pubsub import knowledge_document_channel

FINAL = ("completed", "failed")


async def knowledge_document_status(
    info: Info, document_id: strawberry.ID
) -> AsyncGenerator[KnowledgeDocument, None]:
    require_authenticated(info)
    key = decode_global_id_of(document_id, KnowledgeDocument, field="documentId")
    async with live_events(info, knowledge_document_channel(key)) as events:
        current = await Loaders(info.context.db, info.context.principal).node(
            KnowledgeDocument).load(key)
        if current is None:
            raise NotFound("documentId: no such knowledge document", field="documentId")
        yield current
        if _status(current) in FINAL:
            return
        async for _event in events:
            # events carry only the status; the row (as this caller may read it) is the truth
            current = await info.context.loaders.node(KnowledgeDocument).load(key)
            if current is None:
                return
            yield current
            if _status(current) in FINAL:
                return


def _status(document: KnowledgeDocument) -> str:
    status = document.upload_status
    return str(getattr(status, "value", status))
