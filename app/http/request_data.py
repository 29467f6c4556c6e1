"""A GraphQL POST's request data, taken from its JSON body without strawberry's general
parsing (the content type through the email module, the headers searched for a streaming
transport, the body through Starlette's stream): the known path decodes every JSON POST
before it can answer, so this is most requests' only decoding. Anything else is
strawberry's (`parse_http_body`), which reads the body again through `replay`."""

from __future__ import annotations

from starlette.types import Message, Receive
from strawberry.http import GraphQLRequestData


def is_json(content_type: str | None) -> bool:
    """application/json, with or without parameters (charset)."""
    return (content_type or "").partition(";")[0].strip().lower() == "application/json"


def single_operation(decoded: object) -> GraphQLRequestData | None:
    """`decoded` as one operation's request data, or None when it is not one well-formed
    operation: strawberry then refuses it with its own message (or runs a batch)."""
    if not isinstance(decoded, dict):
        return None
    query, variables = decoded.get("query"), decoded.get("variables")
    extensions = decoded.get("extensions")
    if ((query is not None and not isinstance(query, str))
            or (variables is not None and not isinstance(variables, dict))
            or (extensions is not None and not isinstance(extensions, dict))):
        return None
    return GraphQLRequestData(query=query, variables=variables,
                              operation_name=decoded.get("operationName"),
                              extensions=extensions, protocol="http")


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # disconnected: an empty body, nobody reads the answer
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for reading the request again: the body first, then the connection's own
    messages (a disconnect)."""
    pending = True

    async def again() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
