"""sendMessage and regenerateMessage: the user's side at once, the reply in the background."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select
from strawberry.relay import from_base64

from db.models import ChatMessage, ModelUsageLog
from services.providers import ChatRequest, ChatTurn
from services.providers.base import estimate_tokens
from services.providers.local import local_reply
from services.pubsub import chat_channel
from tests.chat.conftest import (
    PRICING,
    audit_actions,
    chat_of,
    count,
    counts,
    gid,
)
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session, make_message
from tests.graphql import error_codes, gql

SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) {
    message { __typename id role content sequenceNumber totalTokens parent { id } }
    replyMessageId
    userErrors { field message code }
  }
}"""
REGENERATE = """
mutation ($id: ID!) {
  regenerateMessage(input: {messageId: $id}) {
    message { id content } replyMessageId userErrors { field code }
  }
}"""
DELETE = """
mutation ($id: ID!) { deleteChatSession(input: {id: $id}) { deletedChatSessionId } }"""


async def test_send_stores_the_message_then_the_reply_with_usage(app, client, session, world
                                                                 ) -> None:
    chat = await chat_of(session, world, system_prompt="Be brief.")

    # when alice sends a message
    body = await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                              "content": "Hello there"}},
                     headers=world.headers["alice"])
    payload = body["data"]["sendMessage"]
    stored_user = (await session.execute(select(ChatMessage))).scalar_one()
    await app.state.generations.join()

    # then her message is stored at once, first in the chat
    assert payload["userErrors"] == []
    assert payload["message"] == {
        "__typename": "ChatMessage", "id": gid("ChatMessage", stored_user), "role": "USER",
        "content": "Hello there", "sequenceNumber": 1, "totalTokens": 3, "parent": None}
    # and the reply is stored under the announced ID, answering it
    reply_id = from_base64(payload["replyMessageId"])
    reply = await session.get(ChatMessage, reply_id[1])
    await session.refresh(reply)
    turns = (ChatTurn("system", "Be brief."), ChatTurn("user", "Hello there"))
    expected = local_reply(ChatRequest(model_name="local-chat", turns=turns))
    prompt_tokens = estimate_tokens("Be brief.") + estimate_tokens("Hello there")
    assert reply_id[0] == "ChatMessage"
    assert (reply.role, reply.content, reply.sequence_number, reply.parent_message_id) == (
        "assistant", expected, 2, stored_user.id)
    assert (reply.prompt_tokens, reply.completion_tokens, reply.total_tokens) == (
        prompt_tokens, estimate_tokens(expected), prompt_tokens + estimate_tokens(expected))
    # with the session's counters and one priced usage row
    await session.refresh(chat)
    assert (chat.message_count, chat.total_tokens) == (2, 3 + reply.total_tokens)
    assert chat.last_message_at is not None
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    expected_cost = (Decimal(str(PRICING["input_per_1k"])) * prompt_tokens
                     + Decimal(str(PRICING["output_per_1k"])) * reply.completion_tokens) / 1000
    assert (usage.status, usage.session_id, usage.user_id, usage.model_id) == (
        "success", chat.id, world.alice.id, world.model.id)
    assert (usage.input_tokens, usage.output_tokens) == (prompt_tokens,
                                                         reply.completion_tokens)
    assert usage.cost == expected_cost.quantize(Decimal("0.000001"))
    assert usage.metadata_ == {"message_id": str(reply.id)}
    assert await audit_actions(session) == ["chat_message.create"]


async def test_the_reply_sees_its_branch_only(app, client, session, world) -> None:
    # given a chat where "first" was answered, then "second" was sent after that answer
    chat = await chat_of(session, world)
    first = await make_message(session, chat=chat, role="user", content="first",
                               sequence_number=1)
    answer = await make_message(session, chat=chat, role="assistant", content="answer",
                                sequence_number=2, parent=first)
    await make_message(session, chat=chat, role="user", content="second", sequence_number=3,
                       parent=answer)
    await session.commit()

    # when alice branches from the first answer
    body = await gql(client, SEND, {"input": {
        "sessionId": gid("ChatSession", chat), "content": "other",
        "parentMessageId": gid("ChatMessage", answer)}}, headers=world.headers["alice"])
    await app.state.generations.join()

    # then her message follows that answer, and the reply was given that branch alone
    message = body["data"]["sendMessage"]["message"]
    assert (message["sequenceNumber"], message["parent"]) == (4, {"id": gid("ChatMessage",
                                                                            answer)})
    reply = (await session.execute(select(ChatMessage).where(
        ChatMessage.sequence_number == 5))).scalar_one()
    turns = (ChatTurn("user", "first"), ChatTurn("assistant", "answer"),
             ChatTurn("user", "other"))
    assert reply.prompt_tokens == sum(estimate_tokens(t.content) for t in turns)


async def test_send_reports_bad_content_and_parents_and_writes_nothing(
    client, session, world
) -> None:
    chat = await chat_of(session, world)
    elsewhere = await make_chat_session(session, user=world.alice, model=world.model)
    foreign = await make_message(session, chat=elsewhere, role="user", content="x",
                                 sequence_number=1)
    await session.commit()
    before = await counts(session)

    bodies = [await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                                 "content": content, **extra}},
                        headers=world.headers["alice"])
              for content, extra in (("", {}), ("   ", {}), ("x" * 32_001, {}),
                                     ("ok", {"parentMessageId": gid("ChatMessage", foreign)}))]

    assert [[e["code"] for e in b["data"]["sendMessage"]["userErrors"]] for b in bodies] == [
        ["INVALID_CONTENT"], ["INVALID_CONTENT"], ["INVALID_CONTENT"], ["INVALID_PARENT"]]
    assert bodies[0]["data"]["sendMessage"]["userErrors"][0]["message"] == (
        "Write 1 to 32,000 characters (not only spaces)")
    assert all(b["data"]["sendMessage"]["message"] is None for b in bodies)
    assert await counts(session) == before


async def test_only_the_starter_may_send_and_outsiders_see_nothing(app, client, session, world
                                                                   ) -> None:
    chat = await chat_of(session, world)
    variables = {"input": {"sessionId": gid("ChatSession", chat), "content": "hi"}}

    codes = {who: error_codes(await gql(client, SEND, variables, headers=world.headers[who]))
             for who in ("bob", "vera", "olga")}
    anonymous = error_codes(await gql(client, SEND, variables))
    wrong_type = error_codes(await gql(client, SEND, {"input": {
        "sessionId": gid("AiModel", world.model), "content": "hi"}},
        headers=world.headers["alice"]))

    assert codes == {"bob": ["FORBIDDEN"], "vera": ["FORBIDDEN"], "olga": ["NOT_FOUND"]}
    assert anonymous == ["UNAUTHENTICATED"] and wrong_type == ["NOT_FOUND"]
    assert len(app.state.generations) == 0
    assert await counts(session) == (1, 0, 0, 0)


async def test_concurrent_messages_get_unique_sequence_numbers(app, client, session, world
                                                               ) -> None:
    chat = await chat_of(session, world)

    bodies = await asyncio.gather(*(
        gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                     "content": f"message {i}"}},
            headers=world.headers["alice"]) for i in range(6)))
    await app.state.generations.join()

    assert all(b["data"]["sendMessage"]["userErrors"] == [] for b in bodies)
    numbers = list(await session.scalars(select(ChatMessage.sequence_number).order_by(
        ChatMessage.sequence_number)))
    assert numbers == list(range(1, 13))
    await session.refresh(chat)
    assert chat.message_count == 12
    assert await count(session, ModelUsageLog) == 6


async def test_deleting_a_chat_discards_the_reply_under_way(app, client, session, world
                                                           ) -> None:
    slow = await make_model(session, organization=world.acme, config={"delay_ms": 50})
    chat = await make_chat_session(session, user=world.alice, model=slow)
    await session.commit()
    alice, chat_id = world.headers["alice"], gid("ChatSession", chat)

    async def send_then_delete() -> list[dict]:
        """Delete the chat as soon as its reply has streamed its first token."""
        seen = []
        async with app.state.pubsub.subscribe(chat_channel(chat.id)) as sub:
            await gql(client, SEND, {"input": {"sessionId": chat_id, "content": "Hi"}},
                      headers=alice)
            async for event in sub:
                seen.append(event)
                if event.get("type") == "delta":
                    break
            await gql(client, DELETE, {"id": chat_id}, headers=alice)
            await app.state.generations.join()
            while not sub.queue.empty():
                seen.append(await anext(sub))
        return seen

    events = [e for e in await send_then_delete() if e.get("type") != "sync"]

    assert events[-1] == {"type": "failed", "messageId": events[0]["messageId"],
                          "error": "The chat was deleted before the reply was complete"}
    assert list(await session.scalars(select(ChatMessage.role))) == ["user"]


# -- regenerateMessage ------------------------------------------------------------------------


async def test_regenerating_a_reply_adds_a_sibling(app, client, session, world) -> None:
    chat = await chat_of(session, world)
    sent = await gql(client, SEND, {"input": {"sessionId": gid("ChatSession", chat),
                                              "content": "Hi"}}, headers=world.headers["alice"])
    await app.state.generations.join()
    first_reply = sent["data"]["sendMessage"]["replyMessageId"]

    again = await gql(client, REGENERATE, {"id": first_reply}, headers=world.headers["alice"])
    await app.state.generations.join()

    payload = again["data"]["regenerateMessage"]
    assert payload["userErrors"] == []
    assert payload["message"] == {"id": sent["data"]["sendMessage"]["message"]["id"],
                                  "content": "Hi"}
    assert payload["replyMessageId"] != first_reply
    replies = (await session.scalars(select(ChatMessage).where(
        ChatMessage.role == "assistant").order_by(ChatMessage.sequence_number))).all()
    assert [gid("ChatMessage", r) for r in replies] == [first_reply, payload["replyMessageId"]]
    assert replies[0].parent_message_id == replies[1].parent_message_id
    assert replies[0].content == replies[1].content  # the local model is deterministic
    assert [r.sequence_number for r in replies] == [2, 3]
    assert await audit_actions(session) == ["chat_message.create", "chat_message.regenerate"]


async def test_regenerate_needs_a_reply_or_a_user_message(app, client, session, world) -> None:
    chat = await chat_of(session, world)
    system = await make_message(session, chat=chat, role="system", content="s",
                                sequence_number=1)
    question = await make_message(session, chat=chat, role="user", content="q",
                                  sequence_number=2, parent=system)
    await session.commit()
    alice = world.headers["alice"]

    refused = await gql(client, REGENERATE, {"id": gid("ChatMessage", system)}, headers=alice)
    retried = await gql(client, REGENERATE, {"id": gid("ChatMessage", question)}, headers=alice)
    await app.state.generations.join()

    assert refused["data"]["regenerateMessage"] == {
        "message": None, "replyMessageId": None,
        "userErrors": [{"field": ["input", "messageId"], "code": "NOT_REGENERABLE"}]}
    assert retried["data"]["regenerateMessage"]["message"]["id"] == gid("ChatMessage", question)
    reply = (await session.execute(select(ChatMessage).where(
        ChatMessage.role == "assistant"))).scalar_one()
    assert reply.parent_message_id == question.id


async def test_regenerate_is_refused_to_others(app, client, session, world) -> None:
    chat = await chat_of(session, world)
    question = await make_message(session, chat=chat, role="user", content="q",
                                  sequence_number=1)
    await session.commit()

    codes = {who: error_codes(await gql(client, REGENERATE, {"id": gid("ChatMessage", question)},
                                        headers=world.headers[who]))
             for who in ("bob", "vera", "olga")}

    assert codes == {"bob": ["FORBIDDEN"], "vera": ["FORBIDDEN"], "olga": ["NOT_FOUND"]}
    assert len(app.state.generations) == 0
    assert await counts(session) == (1, 1, 0, 0)
