"""What an HTTP request to /graphql passes before GraphQL sees it: the upload preflight and
size (400, 413), authentication (401 with the refusal's code) and the rate limit (429
RATE_LIMITED with Retry-After). Each refusal is a JSON GraphQL error list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.http.errors import error_response, rate_limited
from services.auth import authenticate
from services.metrics import RATE_LIMITED
from services.ratelimit import check_request, request_count
from services.security.tokens import TokenError

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")
MULTIPART_OVERHEAD = 1024 * 1024  # room for the operations and map parts around the file


def multipart_refusal(request: Request) -> Response | None:
    """Uploads (GraphQL multipart requests) must carry a header that makes browsers send a
    CORS preflight, as Apollo Server requires: a plain HTML form can post multipart across
    sites, a request with a custom header cannot. A declared body far above the upload limit
    is refused before it is spooled to disk (413); the exact limit is checked while reading."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/"):
        return None
    if not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
        return error_response(
            400, "Multipart requests need a non-empty apollo-require-preflight, "
                 "x-apollo-operation-name or graphql-preflight header",
            {"code": "PREFLIGHT_REQUIRED"})
    length = request.headers.get("content-length", "")
    limit = request.app.state.settings.max_upload_bytes + MULTIPART_OVERHEAD
    if length.isdigit() and int(length) > limit:
        return error_response(413, "The request is larger than the upload limit",
                              {"code": "FILE_TOO_LARGE"})
    return None


async def admit(request: Request) -> Response | None:
    """The refusal for a request that may not run, or None: then the caller's principal is
    in the request's state (`principal`), for the context and the system log."""
    refusal = multipart_refusal(request)
    if refusal is not None:
        return refusal
    count = request_count(request)
    try:
        principal = await authenticate(request.headers.get("authorization"),
                                       request.app.state, count)
    except TokenError as refused:
        return error_response(401, refused.message, {"code": refused.code},
                              {"www-authenticate": "Bearer"})
    request.scope.setdefault("state", {})["principal"] = principal
    retry_after = await check_request(request, principal, count)
    if retry_after is not None:
        RATE_LIMITED.labels("http").inc()
        error = rate_limited(retry_after)
        return error_response(429, error["message"], error["extensions"],
                              {"retry-after": str(retry_after)})
    return None
