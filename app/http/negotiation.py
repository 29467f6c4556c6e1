"""The media type of a GraphQL answer over HTTP, chosen from the client's Accept header."""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def response_media_type(accept: str) -> str:
    """GraphQL over HTTP: the new media type when the client lists it before plain JSON,
    else JSON (what clients that predate the new type expect, and what no header gets)."""
    graphql_at = accept.find(GRAPHQL_RESPONSE_JSON)
    if graphql_at < 0:
        return JSON
    json_at = accept.replace(GRAPHQL_RESPONSE_JSON, "").find(JSON)
    return GRAPHQL_RESPONSE_JSON if json_at < 0 or graphql_at <= json_at else JSON
