"""updateKnowledgeCollection: rename, describe, or choose the chat model answers come from.

Needs knowledge:write in the collection's organization (NOT_FOUND when the caller cannot see
the collection, FORBIDDEN when it may only read). Chunking and the embedding model stay as
created: changing them would need every document embedded again (reindexCollection).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import KnowledgeCollection
from graphql_schema.context import Info
from graphql_schema.knowledge import types
from graphql_schema.knowledge.inputs import UpdateKnowledgeCollectionInput
from graphql_schema.knowledge.payloads import UpdateKnowledgeCollectionPayload
from graphql_schema.relay import decode_global_id_of
from resolvers.input_checks import Checks
from resolvers.knowledge.models import CHAT_MODEL_ID, chat_model_choice
from resolvers.mutations import mutation_payload, require, require_authenticated, write
from resolvers.nodes import fresh_node

WRITE = "knowledge:write"


async def update_collection(info: Info, input: UpdateKnowledgeCollectionInput
                            ) -> UpdateKnowledgeCollectionPayload:
    require_authenticated(info)
    collection_id = decode_global_id_of(input.id, types.KnowledgeCollection, field="id")

    async def body() -> UpdateKnowledgeCollectionPayload:
        async with write(info) as tx:
            row = await tx.session.scalar(select(KnowledgeCollection).where(
                KnowledgeCollection.id == collection_id,
                KnowledgeCollection.deleted_at.is_(None)).with_for_update())
            require(info, WRITE, row.organization_id if row is not None else None)
            assert row is not None  # require() refused a missing one as NOT_FOUND
            checks = Checks()
            changes: dict[str, Any] = {}
            if input.name is not None:
                changes["name"] = checks.name("name", input.name.value, 200)
            if input.description is not None:
                changes["description"] = checks.text("description", input.description.value)
            config = dict(row.config or {})
            if input.chat_model_id is not None:
                chat_model = await chat_model_choice(info, checks, row.organization_id,
                                                     input.chat_model_id.value)
                config.pop(CHAT_MODEL_ID, None)
                if chat_model is not None:
                    config[CHAT_MODEL_ID] = str(chat_model)
                changes["config"] = config
            checks.raise_if_any()
            old = {k: getattr(row, k) for k in changes}
            for key, value in changes.items():
                setattr(row, key, value)
            await tx.audit("knowledge_collection.update", resource_type="KnowledgeCollection",
                           resource_id=row.id, organization_id=row.organization_id,
                           old=old, new=changes)
        collection = await fresh_node(info, types.KnowledgeCollection, collection_id)
        return UpdateKnowledgeCollectionPayload(collection=collection)

    return await mutation_payload(body, lambda e: UpdateKnowledgeCollectionPayload(user_errors=e))
