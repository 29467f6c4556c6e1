"""`GET /v1/models`: the names the caller may pass as `model`, one per deployment name with a
running deployment in an organization where the caller holds inference:invoke."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.http.gateway.access import admit
from app.http.gateway.responses import json_response, refusals
from services.gateway.targets import running_names


async def _list_models(request: Request) -> Response:
    caller = await admit(request)
    listed = await running_names(request.app.state.db, caller.organizations)
    return json_response({"object": "list", "data": [
        {"id": m.name, "object": "model", "created": m.created,
         "owned_by": str(m.organization_id)} for m in listed]})


list_models = refusals("models", _list_models)
