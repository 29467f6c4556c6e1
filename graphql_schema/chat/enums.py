"""Enums of the chat domain, generated from the values the tables allow."""

from db.models.chat import MESSAGE_ROLES, SESSION_STATUSES
from graphql_schema.scalars import db_enum

ChatSessionStatus = db_enum("ChatSessionStatus", SESSION_STATUSES)
ChatRole = db_enum("ChatRole", MESSAGE_ROLES, "Who wrote a chat message.")
