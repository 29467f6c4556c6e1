"""Full-text search results: ranked, highlighted hits over several node types."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry
from strawberry import relay

from graphql_schema.chat.types import ChatMessage
from graphql_schema.knowledge.types import KnowledgeDocument
from graphql_schema.system.types import SystemLog


@strawberry.enum(description="What `search` looks through.")
class SearchType(Enum):
    CHAT_MESSAGE = "chat_message"
    KNOWLEDGE_DOCUMENT = "knowledge_document"
    SYSTEM_LOG = "system_log"  # platform superusers only


SearchResult = Annotated[
    ChatMessage | KnowledgeDocument | SystemLog,
    strawberry.union("SearchResult", description="An object a search found."),
]


@strawberry.type(description="One ranked match.")
class SearchHit:
    score: float = strawberry.field(description="Relevance; higher is better. Comparable "
                                                "across the types of one search: above 1 "
                                                "for a match by words, below for a partial "
                                                "word.")
    highlight: str = strawberry.field(description="An excerpt of the matched text with the "
                                                  "matching words wrapped in <mark></mark>.")
    node: SearchResult | None = strawberry.field(description="The matched object (for "
                                                             "knowledge, the document).")


@strawberry.type
class SearchHitEdge:
    cursor: str
    node: SearchHit


@strawberry.type(description="Hits best first; `after` takes an edge's cursor.")
class SearchHitConnection:
    edges: list[SearchHitEdge]
    page_info: relay.PageInfo
