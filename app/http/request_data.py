"""A GraphQL POST's request data, taken from its JSON body without strawberry's general
parsing (the content type through the email module, the headers searched for a streaming
transport, the body through Starlette's stream): the known path decodes every JSON POST
before it can answer, so this is most requests' only decoding. Anything else is
strawberry's (`parse_http_body`), which reads the body again through `replay`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Message, Receive
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type

from app.http.errors import RequestError

MULTIPART = "multipart/form-data"


def is_json(content_type: str | None) -> bool:
    """application/json, with or without parameters (charset)."""
    return (content_type or "").partition(";")[0].strip().lower() == "application/json"


def refuse_media_type(content_type: str | None, multipart: bool) -> None:
    """A POST's body is JSON (or, for uploads, a multipart form): any other media type is
    refused with 415, as GraphQL over HTTP recommends."""
    media_type, _ = parse_content_type(content_type or "")
    if "application/json" not in media_type and not (multipart and media_type == MULTIPART):
        raise RequestError(415, "A GraphQL POST's body is application/json"
                                + (f" (or {MULTIPART} for uploads)" if multipart else ""))


def with_files(operations: object, files_map: object, files: Mapping[str, Any]
               ) -> dict[str, Any]:
    """A multipart request's operations with each file of `map` at its paths; a map that is
    not an object of lists of paths, or names a file or a path the request does not have,
    is a request error."""
    if not isinstance(files_map, dict) or not all(
            isinstance(paths, list) and all(isinstance(path, str) for path in paths)
            for paths in files_map.values()):
        raise RequestError(400, "The multipart `map` is an object of lists of paths")
    try:
        return replace_placeholders_with_files(operations, files_map, files)  # type: ignore[arg-type]
    except (LookupError, TypeError, ValueError):
        raise RequestError(400, "The multipart `map` names a file or a path that the "
                                "request does not have") from None


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
