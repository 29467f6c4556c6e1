"""What the gateway refuses, in OpenAI's error shape (`{"error": {message, type, code}}`) and
status, as the official client raises it: a bad key, a key without inference:invoke, another
organization's deployment, a stopped one, an upstream that is down, an organization over its
monthly token budget, and a caller over the rate limit."""

from __future__ import annotations

import openai
import pytest
from sqlalchemy import func, select

from db.models import ModelUsageLog, Organization
from tests.gateway.conftest import MESSAGES_HELLO as HELLO


def error_of(refusal: openai.APIStatusError) -> dict:
    body = refusal.response.json()
    assert set(body) == {"error"} and {"message", "type", "code"} <= set(body["error"])
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


async def usage_count(session) -> int:
    return await session.scalar(select(func.count()).select_from(ModelUsageLog))


async def test_a_bad_key_is_401(server, world) -> None:
    async with openai.AsyncOpenAI(base_url=f"{server}/v1", api_key="aip_00000000_" + "x" * 40,
                                  max_retries=0) as client:
        with pytest.raises(openai.AuthenticationError) as refused:
            await client.chat.completions.create(model="assistant", messages=HELLO)
    assert refused.value.status_code == 401
    assert error_of(refused.value)["code"] == "invalid_api_key"


async def test_a_key_without_inference_invoke_is_403(server, world, session) -> None:
    async with openai.AsyncOpenAI(base_url=f"{server}/v1", api_key=world.narrow_key,
                                  max_retries=0) as client:
        with pytest.raises(openai.PermissionDeniedError) as refused:
            await client.chat.completions.create(model="assistant", messages=HELLO)
    assert error_of(refused.value)["code"] == "permission_denied"
    assert await usage_count(session) == 0


@pytest.mark.parametrize(("model", "code"), [
    ("rival", "model_not_found"),  # another organization's: as if it did not exist
    ("nobody-deployed-this", "model_not_found"),
    ("paused", "model_not_running"),
])
async def test_a_deployment_the_caller_cannot_use_is_404(openai_client, session, model, code
                                                         ) -> None:
    with pytest.raises(openai.NotFoundError) as refused:
        await openai_client.chat.completions.create(model=model, messages=HELLO)
    assert error_of(refused.value)["code"] == code
    assert await usage_count(session) == 0


async def test_an_upstream_that_is_down_is_503_and_logged(openai_client, world, session
                                                          ) -> None:
    with pytest.raises(openai.InternalServerError) as refused:
        await openai_client.chat.completions.create(model="down", messages=HELLO, stream=True)
    assert refused.value.status_code == 503
    assert error_of(refused.value)["code"] == "upstream_unavailable"
    row = await session.scalar(select(ModelUsageLog))
    assert (row.status, row.deployment_id) == ("error", world.deployments["down"].id)
    assert "Could not reach the provider" in row.error_message


async def test_over_the_monthly_token_budget_is_429_budget_exceeded(openai_client, world,
                                                                    session) -> None:
    org = await session.get(Organization, world.acme.id)
    org.settings = {"monthlyTokenBudget": 10}
    await session.commit()
    await openai_client.chat.completions.create(model="assistant", messages=HELLO)  # under it

    with pytest.raises(openai.RateLimitError) as refused:
        await openai_client.chat.completions.create(model="assistant", messages=HELLO)
    assert error_of(refused.value)["code"] == "BUDGET_EXCEEDED"
    assert int(refused.value.response.headers["retry-after"]) > 0
    assert await usage_count(session) == 1
    with pytest.raises(openai.RateLimitError):  # embeddings count against the same budget
        await openai_client.embeddings.create(model="embedder", input="more")


async def test_a_wrong_kind_of_model_or_a_malformed_request_is_400(openai_client) -> None:
    with pytest.raises(openai.BadRequestError) as chat_to_embedder:
        await openai_client.chat.completions.create(model="embedder", messages=HELLO)
    with pytest.raises(openai.BadRequestError) as embed_with_chat:
        await openai_client.embeddings.create(model="assistant", input="x")
    with pytest.raises(openai.BadRequestError) as no_messages:
        await openai_client.chat.completions.create(model="assistant", messages=[])
    assert {error_of(e.value)["code"] for e in (chat_to_embedder, embed_with_chat)} == {
        "model_not_supported"}
    assert error_of(no_messages.value)["code"] == "invalid_value"
