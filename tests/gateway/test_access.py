"""Who may call the gateway, in process: access tokens work like API keys, a viewer lacks
inference:invoke, and gateway calls count against the caller's rate limit shared with
/graphql (429 with Retry-After)."""

from __future__ import annotations

from tests.conftest import bearer_headers
from tests.factories.identity import make_membership, make_user
from tests.gateway.conftest import MESSAGES_HELLO


async def test_an_access_token_reaches_its_organizations_deployments(app, client, session,
                                                                    world) -> None:
    headers = await bearer_headers(app, session, world.alice)

    listed = await client.get("/v1/models", headers=headers)
    answer = await client.post("/v1/chat/completions", headers=headers, json={
        "model": "assistant", "messages": MESSAGES_HELLO})

    assert [m["id"] for m in listed.json()["data"]] == ["assistant", "down", "echo", "embedder"]
    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"].startswith("You said: “Hello")


async def test_a_viewer_may_not_invoke(app, client, session, world) -> None:
    vera = await make_user(session)
    await make_membership(session, organization=world.acme, user=vera, role="viewer")
    headers = await bearer_headers(app, session, vera)

    response = await client.post("/v1/chat/completions", headers=headers, json={
        "model": "assistant", "messages": MESSAGES_HELLO})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


async def test_no_credentials_is_401_in_openai_shape(client, world) -> None:
    response = await client.get("/v1/models")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": {
        "message": "Send your API key in the header `Authorization: Bearer aip_…`",
        "type": "invalid_request_error", "code": "missing_api_key", "param": None}}


async def test_gateway_calls_count_against_the_rate_limit(app, client, world) -> None:
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"rate_limit_per_minute_user": 2})
    headers = {"authorization": f"Bearer {world.key}"}
    try:
        statuses = [(await client.get("/v1/models", headers=headers)).status_code
                    for _ in range(3)]
        refused = await client.get("/v1/models", headers=headers)
    finally:
        app.state.settings = settings

    assert statuses == [200, 200, 429]
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(refused.headers["retry-after"]) >= 1
