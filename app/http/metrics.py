"""`/metrics` in Prometheus' text format, for a scraper: every worker's values summed
(services/metrics.py). With AIPLATFORM_METRICS_TOKEN set, the scraper sends it as a bearer
token (Prometheus' `authorization` setting); otherwise keep the port away from the public."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from app.http.errors import error_response
from services.metrics import CONTENT_TYPE, exposition


async def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            return error_response(401, "The metrics token is missing or wrong",
                                  {"code": "UNAUTHENTICATED"}, {"www-authenticate": "Bearer"})
    return Response(exposition(), media_type=CONTENT_TYPE)
