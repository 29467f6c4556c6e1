"""Chats on a deployment: started on one, each reply routed the way the gateway routes (the
running member of the name's traffic split, sticky per chat), answered by that member's
model and accounted as a gateway call; refused at sendMessage when nothing runs or the
budget is used up; streamed as stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from strawberry.relay import from_base64

from app.main import create_app
from db.models import (
    AIModel,
    AuditLog,
    ChatMessage,
    ChatSession,
    Deployment,
    Membership,
    ModelUsageLog,
    ModelVersion,
    Organization,
)
from services.gateway.routing import choose
from services.pricing import cost_of
from tests.chat.conftest import PRICING, counts, gid
from tests.chat.test_sse import sse_events
from tests.chat.test_streaming import check_stream, send, subscribers_of
from tests.conftest import bearer_headers
from tests.factories.chat import make_chat_session
from tests.gateway.conftest import (
    MESSAGES_HELLO,
    deploy,
    make_api_key,
    server,  # noqa: F401  (the fixture)
)
from tests.graphql import error_codes, gql

CREATE = """
mutation ($input: CreateChatSessionInput!) {
  createChatSession(input: $input) {
    chatSession { id model { name } deployment { id name environment } }
    userErrors { field message code }
  }
}"""
SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id } replyMessageId userErrors { field message code } }
}"""
REGENERATE = """
mutation ($id: ID!) {
  regenerateMessage(input: {messageId: $id}) { replyMessageId userErrors { field code } }
}"""
METRICS = "query ($id: ID!) { node(id: $id) { ... on Deployment { metrics } } }"
NAME, ENVIRONMENT = "support", "production"


@dataclass
class Canary:
    """acme's `support` in production: `stable` takes 90 % of the traffic, `canary` 10 %."""

    stable: Deployment
    canary: Deployment

    def routed(self, chat_id: Any) -> Deployment:
        """The member the gateway's routing picks for this chat."""
        group = sorted((self.stable, self.canary), key=lambda d: d.id)
        return choose(group, name=NAME, user=str(chat_id))


@pytest.fixture
async def canary(session, world) -> Canary:
    stable = await deploy(session, organization=world.acme, name=NAME, model_name="stable-model",
                          pricing=PRICING, traffic=90.0)
    canary = await deploy(session, organization=world.acme, name=NAME, model_name="canary-model",
                          pricing=PRICING, traffic=10.0)
    await session.commit()
    return Canary(stable, canary)


async def model_of(session, deployment: Deployment) -> AIModel:
    return await session.scalar(select(AIModel).join(
        ModelVersion, ModelVersion.model_id == AIModel.id).where(
        ModelVersion.id == deployment.model_version_id))


async def chat_on(session, world, deployment: Deployment) -> ChatSession:
    chat = await make_chat_session(session, user=world.alice,
                                   model=await model_of(session, deployment),
                                   deployment=deployment)
    await session.commit()
    return chat


async def say(app, client, world, chat, content: str = "Hello there") -> dict[str, Any]:
    """sendMessage as alice; the reply has ended when this returns."""
    body = await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                              "content": content}},
                     headers=world.headers["alice"])
    await app.state.generations.join()
    return body["data"]["sendMessage"]


async def usage_of(session, chat) -> list[ModelUsageLog]:
    return list(await session.scalars(select(ModelUsageLog).where(
        ModelUsageLog.session_id == chat.id).order_by(ModelUsageLog.created_at)))


async def test_a_chat_starts_on_a_deployment_and_keeps_its_route(client, session, world,
                                                                  canary) -> None:
    body = await gql(client, CREATE, {"input": {"deploymentId": gid("Deployment", canary.stable),
                                                "title": "Support"}},
                     headers=world.headers["alice"])

    payload = body["data"]["createChatSession"]
    assert payload["userErrors"] == []
    assert payload["chatSession"]["model"] == {"name": "stable-model"}
    assert payload["chatSession"]["deployment"] == {
        "id": gid("Deployment", canary.stable), "name": NAME, "environment": ENVIRONMENT}
    row = await session.scalar(select(ChatSession))
    assert (row.deployment_id, row.deployment_name, row.deployment_environment) == (
        canary.stable.id, NAME, ENVIRONMENT)
    audit = await session.scalar(select(AuditLog))
    assert audit.new_values["deployment_id"] == str(canary.stable.id)


async def test_exactly_one_of_model_and_deployment(client, session, world, canary) -> None:
    both = {"modelId": gid("AiModel", world.model),
            "deploymentId": gid("Deployment", canary.stable)}
    answers = [await gql(client, CREATE, {"input": given}, headers=world.headers["alice"])
               for given in (both, {})]

    for body in answers:
        assert body["data"]["createChatSession"] == {"chatSession": None, "userErrors": [{
            "field": ["input", "modelId"],
            "message": "Give exactly one of modelId and deploymentId", "code": "INVALID"}]}
    assert await counts(session) == (0, 0, 0, 0)


async def test_a_deployment_elsewhere_is_not_found_and_one_without_a_chat_model_refused(
        client, session, world) -> None:
    olga_org = await session.scalar(select(Membership.organization_id).where(
        Membership.user_id == world.olga.id))
    theirs = await deploy(session, organization=await session.get(Organization, olga_org),
                          name="theirs", model_name="their-model")
    embedder = await deploy(session, organization=world.acme, name="vectors",
                            model_name="embedder", model_type="embedding")
    await session.commit()

    elsewhere = await gql(client, CREATE, {"input": {"deploymentId": gid("Deployment", theirs)}},
                          headers=world.headers["alice"])
    wrong_kind = await gql(client, CREATE, {"input": {
        "deploymentId": gid("Deployment", embedder)}}, headers=world.headers["alice"])
    as_viewer = await gql(client, CREATE, {"input": {
        "deploymentId": gid("Deployment", embedder)}}, headers=world.headers["vera"])

    assert elsewhere["data"] is None and error_codes(elsewhere) == ["NOT_FOUND"]
    assert wrong_kind["data"]["createChatSession"]["userErrors"] == [{
        "field": ["input", "deploymentId"], "code": "MODEL_UNAVAILABLE",
        "message": "The deployment 'vectors' serves a model of type embedding, not a chat "
                   "model"}]
    assert as_viewer["data"] is None and error_codes(as_viewer) == ["FORBIDDEN"]
    assert await counts(session) == (0, 0, 0, 0)


async def test_each_chat_stays_on_one_member_of_a_90_10_split(app, client, session, world,
                                                             canary) -> None:
    # given a chat that the split routes to each member (about one chat in ten to the canary)
    chats: dict[Any, ChatSession] = {}
    for _ in range(200):
        chat = await chat_on(session, world, canary.stable)
        chats.setdefault(canary.routed(chat.id).id, chat)
        if len(chats) == 2:
            break
    assert set(chats) == {canary.stable.id, canary.canary.id}

    for deployment_id, chat in chats.items():
        # when alice talks in it three times and regenerates the last reply
        for turn in range(3):
            sent = await say(app, client, world, chat, f"turn {turn}")
            assert sent["userErrors"] == []
        regenerated = await gql(client, REGENERATE, {"id": sent["replyMessageId"]},
                                headers=world.headers["alice"])
        await app.state.generations.join()
        assert regenerated["data"]["regenerateMessage"]["userErrors"] == []

        # then every reply came from the member the routing picks for this chat
        model = "canary-model" if deployment_id == canary.canary.id else "stable-model"
        replies = list(await session.scalars(select(ChatMessage).where(
            ChatMessage.session_id == chat.id, ChatMessage.role == "assistant")))
        assert len(replies) == 4
        assert {r.metadata_["deployment_id"] for r in replies} == {str(deployment_id)}
        assert all(f"model {model!r}" in r.content for r in replies)
        assert {u.deployment_id for u in await usage_of(session, chat)} == {deployment_id}


async def test_a_reply_is_accounted_as_a_gateway_call(app, client, session, world,
                                                      canary) -> None:
    chat = await chat_on(session, world, canary.stable)
    member = canary.routed(chat.id)

    sent = await say(app, client, world, chat)

    reply = await session.get(ChatMessage, from_base64(sent["replyMessageId"])[1])
    (usage,) = await usage_of(session, chat)
    assert (usage.request_type, usage.status, usage.deployment_id, usage.model_id) == (
        "chat", "success", member.id, (await model_of(session, member)).id)
    assert (usage.organization_id, usage.user_id, usage.api_key_id) == (
        world.acme.id, world.alice.id, None)
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (
        reply.prompt_tokens, reply.completion_tokens, reply.total_tokens)
    assert usage.cost == cost_of(PRICING, reply.prompt_tokens, reply.completion_tokens) > 0
    assert usage.duration_ms is not None and usage.duration_ms >= 0
    assert usage.metadata_ == {"deployment": NAME, "environment": ENVIRONMENT,
                               "message_id": str(reply.id)}
    assert {k: reply.metadata_[k] for k in ("deployment_id", "deployment", "environment")} == {
        "deployment_id": str(member.id), "deployment": NAME, "environment": ENVIRONMENT}
    # and the deployment's live figures count it
    metrics = (await gql(client, METRICS, {"id": gid("Deployment", member)},
                         headers=world.headers["alice"]))["data"]["node"]["metrics"]
    assert (metrics["requests"], metrics["errors"], metrics["tokens"]) == (
        1, 0, usage.total_tokens)


async def test_over_the_monthly_budget_the_message_is_refused(app, client, session, world,
                                                               canary) -> None:
    org = await session.get(Organization, world.acme.id)
    org.settings = {"monthlyTokenBudget": 10}
    await session.commit()
    chat = await chat_on(session, world, canary.stable)
    first = await say(app, client, world, chat)  # starts under the budget, ends above it
    before = await counts(session)

    refused = await say(app, client, world, chat, "once more")
    regenerated = await gql(client, REGENERATE, {"id": first["replyMessageId"]},
                            headers=world.headers["alice"])

    assert first["userErrors"] == []
    assert refused == {"message": None, "replyMessageId": None, "userErrors": [{
        "field": ["input", "sessionId"], "code": "BUDGET_EXCEEDED",
        "message": "The organization has used its monthly token budget (10 tokens)"}]}
    assert regenerated["data"]["regenerateMessage"]["userErrors"] == [
        {"field": ["input", "sessionId"], "code": "BUDGET_EXCEEDED"}]
    assert await counts(session) == before


async def test_a_chat_with_a_model_is_held_to_the_same_budget(app, client, session, world,
                                                               canary) -> None:
    # given a chat straight on the stable deployment's model, in an organization with a budget
    org = await session.get(Organization, world.acme.id)
    org.settings = {"monthlyTokenBudget": 10}
    chat = await make_chat_session(session, user=world.alice,
                                   model=await model_of(session, canary.stable))
    await session.commit()
    first = await say(app, client, world, chat)  # starts under the budget, ends above it
    before = await counts(session)

    # when alice writes again
    refused = await say(app, client, world, chat, "once more")

    # then the budget its first reply used up refuses it, and nothing is stored
    assert first["userErrors"] == []
    assert [e["code"] for e in refused["userErrors"]] == ["BUDGET_EXCEEDED"]
    assert await counts(session) == before


async def test_a_stopped_deployment_refuses_the_message(app, client, session, world,
                                                        canary) -> None:
    chat = await chat_on(session, world, canary.stable)
    for deployment in (canary.stable, canary.canary):
        deployment.status = "stopped"
        session.add(deployment)
    await session.commit()
    before = await counts(session)

    refused = await say(app, client, world, chat)

    assert refused["userErrors"] == [{
        "field": ["input", "sessionId"], "code": "DEPLOYMENT_NOT_RUNNING",
        "message": "No deployment named 'support' is running in production"}]
    assert await counts(session) == before


async def test_a_chat_follows_its_name_once_its_deployment_is_deleted(
        app, client, session, world, canary) -> None:
    # given a chat started on the stable member, which is then deleted (the canary promoted)
    chat = await chat_on(session, world, canary.stable)
    await session.delete(canary.stable)
    await session.commit()

    sent = await say(app, client, world, chat)

    assert sent["userErrors"] == []
    await session.refresh(chat)
    assert chat.deployment_id is None and chat.deployment_name == NAME
    (usage,) = await usage_of(session, chat)
    assert usage.deployment_id == canary.canary.id

    # and once none of that name is left, the chat says so
    await session.delete(canary.canary)
    await session.commit()
    refused = await say(app, client, world, chat, "anyone there?")
    assert refused["userErrors"] == [{
        "field": ["input", "sessionId"], "code": "DEPLOYMENT_NOT_RUNNING",
        "message": "No deployment named 'support' is left in production"}]


@pytest.fixture
async def tight_app(settings) -> AsyncIterator[Starlette]:
    """The real app allowing 3 requests a minute per user."""
    application = create_app(settings.model_copy(update={"rate_limit_per_minute_user": 3}))
    async with application.router.lifespan_context(application):
        yield application
        await application.state.generations.join()


async def test_messages_and_gateway_calls_share_one_rate_limit(tight_app, session, world,
                                                               canary) -> None:
    chat = await chat_on(session, world, canary.stable)
    key, _ = await make_api_key(session, organization=world.acme, user=world.alice)
    await session.commit()
    login = await bearer_headers(tight_app, session, world.alice)
    message = {"query": SEND, "variables": {"input": {"sessionId": gid("ChatSession", chat),
                                                      "content": "Hello"}}}
    transport = httpx.ASGITransport(app=tight_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        calls = [await http.post("/v1/chat/completions", json={
            "model": NAME, "messages": MESSAGES_HELLO}, headers={"authorization": f"Bearer {key}"})
            for _ in range(2)]
        first = await http.post("/graphql", json=message, headers=login)
        second = await http.post("/graphql", json=message, headers=login)

    assert [c.status_code for c in calls] == [200, 200]
    assert first.json()["data"]["sendMessage"]["userErrors"] == []
    assert second.status_code == 429
    assert second.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_the_streamed_reply_equals_the_stored_message(server, settings, session,  # noqa: F811
                                                            world) -> None:
    slow = await deploy(session, organization=world.acme, name="slow-support",
                        model_name="paced", config={"delay_ms": 5})
    await session.commit()
    chat = await chat_on(session, world, slow)
    sent: dict[str, Any] = {}

    async def send_once_subscribed() -> None:
        await subscribers_of(settings.redis_url, chat.id, 1)
        sent.update(await send(server, world.headers["alice"], chat, "stream it"))

    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        received = await sse_events(http, world.headers["alice"], gid("ChatSession", chat),
                                    send_once_subscribed)

    events = [data["data"]["chatMessageStream"] for _, data in received]
    content = check_stream(events, sent["replyMessageId"], sent["message"]["id"])
    stored = await session.scalar(select(ChatMessage).where(
        ChatMessage.session_id == chat.id, ChatMessage.role == "assistant"))
    assert stored.content == content and stored.metadata_["deployment_id"] == str(slow.id)
    assert events[-1]["message"]["totalTokens"] == stored.total_tokens
