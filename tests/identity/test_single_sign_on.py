"""Single sign-on against a real OpenID provider process (panva's oidc-provider): the browser's
walk from /auth/oidc/login through the provider's login and consent pages back to our
callback, the frontend's `completeOidcLogin`, and the ID token checks (audience, signature,
nonce) against the provider's real tokens and keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jws, jwt
from joserfc.jwk import RSAKey
from pydantic import SecretStr
from sqlalchemy import func, select

from db.models import AuditLog, Membership, User, UserIdentity
from services.oidc.client import OidcClient, OidcError
from services.settings import Settings
from tests.factories.identity import make_organization, make_user
from tests.identity.oidc_browser import new_port, oidc_provider, walk
from tests.servers import app_servers

CLIENT_ID, SECRET = "aiplatform", "aiplatform-client-secret-0123456789"
OTHER_ID, OTHER_SECRET = "other-app", "other-app-client-secret-0123456789"
OTHER_CALLBACK = "http://127.0.0.1:9/other-app/callback"  # never reached: the walk stops there
FRONTEND = "http://frontend.test"
COMPLETE = """mutation ($code: String!) { completeOidcLogin(input: {code: $code}) {
  user { id username email } accessToken refreshToken userErrors { field code message } } }"""
VIEWER = "{ viewer { username email } }"


@dataclass
class SignOn:
    api: str
    issuer: str


@pytest.fixture(scope="module")
def sso(settings: Settings) -> Iterator[SignOn]:
    """A server with single sign-on on, and the provider that knows it as a client."""
    port = new_port()
    issuer = f"http://127.0.0.1:{port}"
    with app_servers(settings, AIPLATFORM_OIDC_ISSUER=issuer, AIPLATFORM_OIDC_CLIENT_ID=CLIENT_ID,
                     AIPLATFORM_OIDC_CLIENT_SECRET=SECRET, AIPLATFORM_PUBLIC_URL=FRONTEND,
                     AIPLATFORM_OIDC_ALLOWED_DOMAINS="corp.example, example.com",
                     AIPLATFORM_OIDC_ROLES_CLAIM="aiplatform_roles",
                     AIPLATFORM_OIDC_SCOPES="openid email profile roles") as (api,), \
            oidc_provider(port, [
                {"client_id": CLIENT_ID, "client_secret": SECRET,
                 "redirect_uris": [f"{api}/auth/oidc/callback"]},
                {"client_id": OTHER_ID, "client_secret": OTHER_SECRET,
                 "redirect_uris": [OTHER_CALLBACK]}],
                roles={"carol@corp.example": ["sso-acme:admin", "nowhere:owner"]}):
        yield SignOn(api, issuer)


async def sign_in(sso: SignOn, login: str, *, next_path: str = "/chats"
                  ) -> tuple[dict[str, str], str]:
    """A browser's sign-in: the fields of the fragment it lands on at the frontend, and the
    callback URL it went through."""
    async with httpx.AsyncClient(timeout=30) as browser:
        start = await browser.get(f"{sso.api}/auth/oidc/login", params={"next": next_path})
        assert start.status_code == 302, start.text
        callback = await walk(browser, start.headers["location"], sso.issuer, login)
        assert callback.startswith(f"{sso.api}/auth/oidc/callback?"), callback
        landed = await browser.get(callback)
    return _fragment(landed), callback


def _fragment(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{FRONTEND}/auth/callback#"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


async def complete(sso: SignOn, code: str) -> dict:
    async with httpx.AsyncClient(base_url=sso.api, timeout=30) as http:
        answer = await http.post("/graphql", json={"query": COMPLETE, "variables": {"code": code}})
    return answer.json()["data"]["completeOidcLogin"]


async def test_the_first_login_creates_the_account_and_the_next_finds_it(sso, db, session) -> None:
    landed, _ = await sign_in(sso, "dana@corp.example")
    assert set(landed) == {"code", "next"} and landed["next"] == "/chats"
    first = await complete(sso, landed["code"])

    assert first["userErrors"] == []
    assert first["user"]["email"] == "dana@corp.example" and first["user"]["username"] == "dana"
    async with httpx.AsyncClient(base_url=sso.api, timeout=30) as http:
        viewer = await http.post("/graphql", json={"query": VIEWER}, headers={
            "authorization": f"Bearer {first['accessToken']}"})
    assert viewer.json()["data"]["viewer"] == {"username": "dana", "email": "dana@corp.example"}
    user = await session.scalar(select(User).where(User.email == "dana@corp.example"))
    assert user.password_hash is None and (user.first_name, user.last_name) == ("dana", "Example")

    again = await complete(sso, (await sign_in(sso, "dana@corp.example"))[0]["code"])

    assert again["user"]["id"] == first["user"]["id"]
    assert await session.scalar(select(func.count()).select_from(User)) == 1
    (identity,) = (await session.scalars(select(UserIdentity))).all()
    assert (identity.issuer, identity.subject) == (sso.issuer, "dana@corp.example")
    actions = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)))
    assert actions.count("user.sign_up_sso") == 1 and actions.count("session.log_in_sso") == 1


async def test_an_account_with_the_verified_email_is_linked(sso, db, session) -> None:
    erin = await make_user(session, username="erin-local")
    erin.email = "erin@corp.example"
    await session.commit()

    signed_in = await complete(sso, (await sign_in(sso, "erin@corp.example"))[0]["code"])

    assert signed_in["user"]["username"] == "erin-local"
    assert await session.scalar(select(UserIdentity.user_id)) == erin.id


async def test_unverified_emails_and_other_domains_are_refused(sso, db, session) -> None:
    frank = await make_user(session)
    frank.email = "unverified-frank@corp.example"  # the provider does not vouch for it
    await session.commit()

    unverified, _ = await sign_in(sso, "unverified-frank@corp.example")
    elsewhere, _ = await sign_in(sso, "mallory@evil.example")

    assert unverified["error"] == elsewhere["error"] == "access_denied"
    assert "did not confirm an email" in unverified["error_description"]
    assert "domain" in elsewhere["error_description"]
    assert await session.scalar(select(func.count()).select_from(UserIdentity)) == 0


async def test_a_replayed_callback_and_a_reused_code_are_refused(sso, db) -> None:
    landed, callback = await sign_in(sso, "gina@corp.example")
    async with httpx.AsyncClient(timeout=30) as browser:
        replayed = _fragment(await browser.get(callback))
    first, second = await complete(sso, landed["code"]), await complete(sso, landed["code"])

    assert replayed["error"] == "invalid_request" and "start again" in replayed[
        "error_description"]
    assert first["userErrors"] == [] and first["accessToken"]
    assert second["accessToken"] is None and [e["code"] for e in second["userErrors"]] == [
        "OIDC_CODE_INVALID"]


async def test_the_roles_claim_makes_memberships(sso, db, session) -> None:
    acme = await make_organization(session, slug="sso-acme")
    await session.commit()

    await complete(sso, (await sign_in(sso, "carol@corp.example"))[0]["code"])

    membership = await session.scalar(select(Membership).where(
        Membership.organization_id == acme.id))
    assert membership is not None and membership.role == "admin"


async def test_without_an_issuer_the_routes_are_not_found(client) -> None:
    answer = await client.get("/auth/oidc/login")
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# -- the ID token's checks, on the provider's own tokens ----------------------------------

async def provider_token(sso: SignOn, client_id: str, secret: str, redirect_uri: str,
                         nonce: str) -> str:
    """A real ID token for `client_id`, by the authorization code flow run as that client."""
    async with AsyncOAuth2Client(client_id=client_id, client_secret=secret,
                                 scope="openid email", redirect_uri=redirect_uri,
                                 code_challenge_method="S256") as oauth, \
            httpx.AsyncClient(timeout=30) as browser:
        verifier = generate_token(64)
        url, _ = oauth.create_authorization_url(f"{sso.issuer}/auth", nonce=nonce,
                                                code_verifier=verifier)
        landed = await walk(browser, url, sso.issuer, "hana@corp.example")
        code = parse_qs(urlsplit(landed).query)["code"][0]
        token = await oauth.fetch_token(f"{sso.issuer}/token", code=code, code_verifier=verifier)
    return str(token["id_token"])


def relying_party(sso: SignOn) -> OidcClient:
    return OidcClient(Settings(oidc_issuer=sso.issuer, oidc_client_id=CLIENT_ID,
                               oidc_client_secret=SecretStr(SECRET)))


async def test_a_token_for_another_audience_or_nonce_is_refused(sso) -> None:
    ours = await provider_token(sso, CLIENT_ID, SECRET, f"{sso.api}/auth/oidc/callback", "n-1")
    theirs = await provider_token(sso, OTHER_ID, OTHER_SECRET, OTHER_CALLBACK, "n-2")
    client = relying_party(sso)

    claims = await client.verify(ours, nonce="n-1")
    assert claims["aud"] == CLIENT_ID and claims["email"] == "hana@corp.example"
    with pytest.raises(OidcError, match=r"not valid for this login.*aud"):
        await client.verify(theirs, nonce="n-2")
    with pytest.raises(OidcError, match=r"not valid for this login.*nonce"):
        await client.verify(ours, nonce="another login's nonce")


async def test_a_token_with_a_forged_signature_is_refused(sso) -> None:
    """The provider's own claims, signed again with a key that is not the provider's but
    claims the provider's key id: only the published key may sign."""
    genuine = await provider_token(sso, CLIENT_ID, SECRET, f"{sso.api}/auth/oidc/callback", "n-3")
    signed = jws.extract_compact(genuine.encode())
    forged = jwt.encode({"alg": "RS256", "kid": signed.headers()["kid"]},
                        json.loads(signed.payload), RSAKey.generate_key(2048))

    with pytest.raises(OidcError, match="signature does not verify"):
        await relying_party(sso).verify(forged, nonce="n-3")
