"""A chat's knowledge collection: kept in the session's `config` under
`knowledge_collection_id` (no column of its own), never sent to the provider as an option.

Attaching one needs a collection the caller can see in the chat's own organization; each reply
is then grounded on its passages closest to the user's message (resolvers/chat/generation.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from graphql_schema.chat.payloads import ChatErrorCode as Code
from graphql_schema.chat.types import KNOWLEDGE_COLLECTION
from graphql_schema.context import Info
from graphql_schema.knowledge.types import KnowledgeCollection
from graphql_schema.relay import decode_global_id_of
from resolvers.mutations import Problem

FIELD = "knowledgeCollectionId"


async def collection_choice(info: Info, organization_id: uuid.UUID, value: str | None
                            ) -> tuple[uuid.UUID | None, list[Problem]]:
    """The collection to attach (None detaches), or why it cannot be."""
    if value is None:
        return None, []
    key = decode_global_id_of(value, KnowledgeCollection, field=FIELD)
    collection = await info.context.loaders.node(KnowledgeCollection).load(key)
    if collection is None or collection.organization_id != organization_id:
        return None, [Problem(FIELD, "knowledgeCollectionId: no such knowledge collection in "
                              "the chat's organization", Code.INVALID)]
    return key, []


def attached(config: dict[str, Any] | None) -> uuid.UUID | None:
    value = (config or {}).get(KNOWLEDGE_COLLECTION)
    return uuid.UUID(value) if isinstance(value, str) else None


def with_collection(config: dict[str, Any], collection_id: uuid.UUID | None) -> dict[str, Any]:
    """The generation settings with the link set (or removed, for None)."""
    settings = {k: v for k, v in config.items() if k != KNOWLEDGE_COLLECTION}
    return {**settings, KNOWLEDGE_COLLECTION: str(collection_id)} if collection_id else settings
