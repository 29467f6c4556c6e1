"""Relations of the chat domain."""

from db.loaders.base import Order, Relation

CHAT_SESSIONS = Relation("chatSessions", "chat_sessions", live_only=True)
CHAT_SESSIONS_BY_USER = Relation(
    "chatSessions", "chat_sessions", parent_key="user_id", live_only=True
)
MESSAGES_BY_SESSION = Relation(
    "messages", "chat_messages", parent_key="session_id",
    default_order=Order(("sequence_number", "id")),
)
MESSAGES_BY_PARENT = Relation(
    "children", "chat_messages", parent_key="parent_message_id",
    default_order=Order(("sequence_number", "id")),
)
