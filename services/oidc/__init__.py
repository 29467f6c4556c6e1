"""Single sign-on with OpenID Connect: the protocol (`client`) and the accounts it signs in
(`accounts`). The HTTP routes are app/http/oidc.py; `completeOidcLogin` ends the login."""
