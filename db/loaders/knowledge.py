"""Relations of the knowledge (RAG) domain, declared as data (see db/loaders/base.py)."""

from db.loaders.base import Order, Relation

KNOWLEDGE_COLLECTIONS = Relation("knowledgeCollections", "knowledge_collections", live_only=True)
KNOWLEDGE_COLLECTIONS_BY_ORGANIZATION = Relation(
    "knowledgeCollections", "knowledge_collections", parent_key="organization_id",
    live_only=True,
)
DOCUMENTS_BY_COLLECTION = Relation(
    "documents", "knowledge_documents", parent_key="collection_id", live_only=True
)
# a query history is read newest first
RAG_QUERIES_BY_COLLECTION = Relation(
    "ragQueries", "rag_queries", parent_key="collection_id",
    default_order=Order(("created_at", "id"), descending=True),
)
