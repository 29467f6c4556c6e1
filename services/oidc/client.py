"""The relying party's side of OpenID Connect's authorization code flow.

authlib's httpx client builds the authorization request (PKCE with S256, `state`, `nonce`) and
exchanges the code at the token endpoint (client secret by HTTP basic authentication); joserfc
verifies the ID token: its signature against the issuer's published keys (fetched again once
when a token names a key we do not have, so the provider can rotate them), its issuer,
audience (and `azp` when there are several), nonce, expiry and issue time. Only asymmetric
signatures are accepted: an ID token signed with `none` or with the client secret is refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from services.settings import Settings

SIGNATURES = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
              "EdDSA"]
LEEWAY_SECONDS = 60  # clock difference tolerated between us and the provider
METADATA_TTL_SECONDS = 3600
TIMEOUT_SECONDS = 10.0


class OidcError(Exception):
    """The login cannot go on; `code` is an OAuth error code for the frontend, `str()` a
    readable reason without secrets."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Pending:
    """What the callback needs of its login request: kept server-side under `state`."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str


@dataclass(frozen=True, slots=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


class OidcClient:
    """One per process while an issuer is configured (`app.state.oidc`)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self._secret = settings.oidc_client_secret.get_secret_value()
        self.scopes = settings.oidc_scopes
        self._metadata: tuple[float, Metadata] | None = None
        self._keys: KeySet | None = None

    def _oauth(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=self.client_id, client_secret=self._secret,
                                 scope=self.scopes, redirect_uri=redirect_uri,
                                 code_challenge_method="S256", timeout=TIMEOUT_SECONDS)

    async def metadata(self) -> Metadata:
        """The provider's discovery document (cached for an hour)."""
        if self._metadata is not None and self._metadata[0] > time.monotonic():
            return self._metadata[1]
        found = await _get_json(f"{self.issuer}/.well-known/openid-configuration")
        if str(found.get("issuer", "")).rstrip("/") != self.issuer:
            raise OidcError("server_error", "The provider's discovery document names another "
                                            "issuer than AIPLATFORM_OIDC_ISSUER")
        try:
            metadata = Metadata(self.issuer, found["authorization_endpoint"],
                                found["token_endpoint"], found["jwks_uri"])
        except KeyError as missing:
            raise OidcError("server_error", f"The provider's discovery document has no "
                                            f"{missing.args[0]}") from None
        self._metadata = (time.monotonic() + METADATA_TTL_SECONDS, metadata)
        return metadata

    async def start(self, redirect_uri: str) -> tuple[str, Pending]:
        """The provider's URL to send the browser to, and what to keep for the callback."""
        metadata = await self.metadata()
        pending = Pending(state=generate_token(32), nonce=generate_token(32),
                          verifier=generate_token(64), redirect_uri=redirect_uri)
        async with self._oauth(redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(
                metadata.authorization_endpoint, state=pending.state, nonce=pending.nonce,
                code_verifier=pending.verifier)
        return url, pending

    async def finish(self, code: str, pending: Pending) -> dict[str, Any]:
        """The verified claims of the ID token the code is exchanged for."""
        metadata = await self.metadata()
        try:
            async with self._oauth(pending.redirect_uri) as oauth:
                token = await oauth.fetch_token(metadata.token_endpoint, code=code,
                                                code_verifier=pending.verifier)
        except OAuthError as error:
            raise OidcError("access_denied", f"The provider refused the code: {error.error}"
                            ) from None
        except httpx.HTTPError as error:
            raise OidcError("temporarily_unavailable",
                            f"The provider could not be reached: {type(error).__name__}"
                            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("access_denied", "The provider sent no ID token")
        return await self.verify(id_token, nonce=pending.nonce)

    async def verify(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of an ID token meant for us, for this login; OidcError otherwise."""
        metadata = await self.metadata()
        try:
            decoded = jwt.decode(id_token, await self._keyset(metadata), algorithms=SIGNATURES)
        except (ValueError, JoseError):
            try:  # a key we do not know yet: the provider may have rotated its keys
                decoded = jwt.decode(id_token, await self._keyset(metadata, fresh=True),
                                     algorithms=SIGNATURES)
            except (ValueError, JoseError) as error:
                raise OidcError("access_denied", f"The ID token's signature does not verify "
                                                 f"({type(error).__name__})") from None
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS, iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id}, sub={"essential": True},
            exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            registry.validate(claims)
        except JoseError as error:
            raise OidcError("access_denied", f"The ID token is not valid for this login "
                                             f"({error.error}: {error.description})") from None
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != \
                self.client_id:
            raise OidcError("access_denied", "The ID token was issued to another client")
        return dict(claims)

    async def _keyset(self, metadata: Metadata, *, fresh: bool = False) -> KeySet:
        if self._keys is None or fresh:
            self._keys = KeySet.import_key_set(await _get_json(metadata.jwks_uri))
        return self._keys


async def _get_json(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as http:
            answer = await http.get(url)
            answer.raise_for_status()
            found = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise OidcError("temporarily_unavailable",
                        f"The provider could not be reached: {type(error).__name__}") from None
    if not isinstance(found, dict):
        raise OidcError("server_error", f"The provider answered {url} with no JSON object")
    return found
