"""Who may call the gateway and which deployment answers: the caller's bearer credential (an
API key `aip_…` or an access token, 401), the rate limit shared with /graphql (429 with
Retry-After), `inference:invoke` (403), then the door chats on a deployment share
(services/gateway/admission.py): the deployment the request's `model` names among the
caller's organizations (404), the traffic split, and the organization's monthly token
budget (429 BUDGET_EXCEEDED)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request

from db.scope import Principal
from services.auth import authenticate
from services.gateway import errors
from services.gateway.admission import NotRoutable, OverBudget, route
from services.gateway.targets import Target, invokable_organizations
from services.metrics import RATE_LIMITED
from services.ratelimit import check
from services.security.tokens import TokenError


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    organizations: list[uuid.UUID] | None  # where it may invoke; None: every one

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.principal.user_id

    @property
    def api_key_id(self) -> uuid.UUID | None:
        return self.principal.api_key_id


async def admit(request: Request) -> Caller:
    """The authenticated caller, counted against its rate limit, holding inference:invoke
    somewhere."""
    header = request.headers.get("authorization")
    if not header:
        raise errors.unauthorized("Send your API key in the header `Authorization: Bearer "
                                  "aip_…`", "missing_api_key")
    state = request.app.state
    try:
        principal = await authenticate(header, state)
    except TokenError as refused:
        raise errors.unauthorized(refused.message, "invalid_api_key") from None
    request.scope.setdefault("state", {})["principal"] = principal
    retry_after = await check(state, principal, request.client)
    if retry_after is not None:
        RATE_LIMITED.labels("gateway").inc()
        raise errors.rate_limited(retry_after)
    organizations = invokable_organizations(principal)
    if organizations == []:
        raise errors.forbidden("Calling deployments needs the inference:invoke permission "
                               "(members have it; an API key needs it among its scopes)")
    return Caller(principal, organizations)


async def target_for(request: Request, caller: Caller, model: object, user: object) -> Target:
    """The running deployment that answers `model` for this request, once the
    organization's budget allows another call (services/gateway/admission.py)."""
    if not isinstance(model, str) or not model:
        raise errors.invalid("`model` must name a deployment", "missing_model")
    try:
        return await route(request.app.state.db, model, caller.organizations,
                           sticky=user if isinstance(user, str) else None)
    except NotRoutable as refused:
        raise (errors.not_running(model) if refused.exists
               else errors.model_not_found(model)) from None
    except OverBudget as over:
        raise errors.budget_exceeded(over.limit, over.retry_after) from None
