"""The browser's half of single sign-on.

`GET /auth/oidc/login[?next=/path]` sends the browser to the identity provider;
`GET /auth/oidc/callback` takes it back, signs the account in and sends it on to the
frontend, `{AIPLATFORM_PUBLIC_URL}/auth/callback#code=…&next=…`: a one-time code in the URL's
fragment (never sent to a server, so never in an access log) that the frontend trades for
tokens with `completeOidcLogin`. A refused login goes there too, as
`#error=<OAuth code>&error_description=…`. Without AIPLATFORM_OIDC_ISSUER both routes are 404.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from services.oidc.accounts import account_for
from services.oidc.client import OidcClient, OidcError
from services.oidc.handoff import issue_code, keep_pending, take_pending
from services.settings import Settings

log = logging.getLogger("aiplatform.oidc")
NOT_CONFIGURED = {"errors": [{"message": "Single sign-on is not configured on this server",
                              "extensions": {"code": "NOT_FOUND"}}]}
STALE = "This sign-in was already completed or has expired: start again"


async def oidc_login(request: Request) -> Response:
    client: OidcClient | None = request.app.state.oidc
    if client is None:
        return JSONResponse(NOT_CONFIGURED, status_code=404)
    settings: Settings = request.app.state.settings
    next_path = request.query_params.get("next", "/")
    if not next_path.startswith("/") or next_path.startswith("//"):
        next_path = "/"  # only a path of the frontend: never an open redirect
    redirect_uri = settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))
    try:
        url, pending = await client.start(redirect_uri)
        await keep_pending(request.app.state.redis, pending, next_path)
    except OidcError as error:
        return _to_frontend(settings, error=error.code, error_description=str(error))
    except (RedisError, OSError):
        return _to_frontend(settings, error="temporarily_unavailable",
                            error_description="Single sign-on is unavailable: try again soon")
    return _redirect(url)


async def oidc_callback(request: Request) -> Response:
    client: OidcClient | None = request.app.state.oidc
    if client is None:
        return JSONResponse(NOT_CONFIGURED, status_code=404)
    settings: Settings = request.app.state.settings
    redis = request.app.state.redis
    params = request.query_params
    try:
        taken = await take_pending(redis, params["state"]) if params.get("state") else None
        if taken is None:
            raise OidcError("invalid_request", STALE)
        pending, next_path = taken
        if params.get("error"):  # the user declined, or the provider refused
            raise OidcError(params["error"], params.get("error_description")
                            or "The identity provider refused the sign-in")
        if not params.get("code"):
            raise OidcError("invalid_request", "The identity provider sent no code")
        claims = await client.finish(params["code"], pending)
        peer = request.client.host if request.client else None
        async with request.app.state.db.sessionmaker() as session, session.begin():
            user_id = await account_for(session, settings, claims, ip_address=peer)
        code = await issue_code(redis, user_id)
    except OidcError as error:
        log.info("single sign-on refused: %s (%s)", error.code, error)
        return _to_frontend(settings, error=error.code, error_description=str(error))
    except (RedisError, OSError):
        return _to_frontend(settings, error="temporarily_unavailable",
                            error_description="Single sign-on is unavailable: try again soon")
    return _to_frontend(settings, code=code, next=next_path)


def _to_frontend(settings: Settings, **fields: str) -> Response:
    base = (settings.public_url or "").rstrip("/")
    return _redirect(f"{base}/auth/callback#{urlencode(fields)}")


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=302, headers={"cache-control": "no-store"})
