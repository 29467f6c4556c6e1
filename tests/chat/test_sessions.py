"""createChatSession, updateChatSession, archiveChatSession, deleteChatSession."""

from __future__ import annotations

from sqlalchemy import select

from db.models import AuditLog, ChatMessage, ChatSession
from tests.chat.conftest import audit_actions, chat_of, count, counts, gid
from tests.graphql import error_codes, gql

CREATE = """
mutation ($input: CreateChatSessionInput!) {
  createChatSession(input: $input) {
    chatSession { __typename id title systemPrompt config status messageCount totalTokens
                  model { name } user { username } }
    userErrors { field message code }
  }
}"""
UPDATE = """
mutation ($input: UpdateChatSessionInput!) {
  updateChatSession(input: $input) {
    chatSession { title systemPrompt config }
    userErrors { field message code }
  }
}"""
ARCHIVE = """
mutation ($id: ID!) {
  archiveChatSession(input: {id: $id}) { chatSession { id status } userErrors { code } }
}"""
DELETE = """
mutation ($id: ID!) {
  deleteChatSession(input: {id: $id}) { deletedChatSessionId userErrors { code } }
}"""
SEND = """
mutation ($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id } userErrors { field message code } }
}"""
NODE = "query ($id: ID!) { node(id: $id) { id } }"


async def test_a_member_starts_a_chat(client, session, world) -> None:
    # when alice starts a chat with acme's model
    body = await gql(client, CREATE, {"input": {
        "modelId": gid("AiModel", world.model), "title": "Plans", "systemPrompt": "Be brief.",
        "config": {"temperature": 0.2, "stop": ["\n\n"]}}}, headers=world.headers["alice"])

    # then it is hers, active and empty, and audited once
    payload = body["data"]["createChatSession"]
    assert payload["userErrors"] == []
    assert payload["chatSession"] | {"id": None} == {
        "__typename": "ChatSession", "id": None, "title": "Plans", "systemPrompt": "Be brief.",
        "config": {"temperature": 0.2, "stop": ["\n\n"]}, "status": "ACTIVE",
        "messageCount": 0, "totalTokens": 0, "model": {"name": "local-chat"},
        "user": {"username": world.alice.username}}
    row = (await session.execute(select(ChatSession))).scalar_one()
    assert payload["chatSession"]["id"] == gid("ChatSession", row)
    assert (row.user_id, row.organization_id) == (world.alice.id, world.acme.id)
    audit = (await session.execute(select(AuditLog))).scalar_one()
    assert (audit.action, audit.resource_id, audit.user_id) == (
        "chat_session.create", str(row.id), world.alice.id)


async def test_generation_settings_are_not_mistaken_for_secrets(client, world) -> None:
    # max_tokens is a limit, not a token: it must read back as stored
    body = await gql(client, CREATE, {"input": {"modelId": gid("AiModel", world.model),
                                                "config": {"max_tokens": 8192}}},
                     headers=world.headers["alice"])

    assert body["data"]["createChatSession"]["chatSession"]["config"] == {"max_tokens": 8192}


async def test_create_reports_every_input_problem_and_writes_nothing(client, session, world
                                                                     ) -> None:
    body = await gql(client, CREATE, {"input": {
        "modelId": gid("AiModel", world.model), "title": "x" * 256,
        "systemPrompt": "y" * 32_001,
        "config": {"temperature": 2.5, "max_tokens": 8193, "top_p": True, "seed": 1}}},
        headers=world.headers["alice"])

    payload = body["data"]["createChatSession"]
    assert payload["chatSession"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "title"], "INVALID"), (["input", "systemPrompt"], "INVALID"),
        (["input", "config"], "INVALID_CONFIG"), (["input", "config"], "INVALID_CONFIG"),
        (["input", "config"], "INVALID_CONFIG"), (["input", "config"], "INVALID_CONFIG")]
    assert [e["message"] for e in payload["userErrors"][2:]] == [
        "Unknown config keys: seed (known: max_tokens, stop, temperature, top_p)",
        "temperature must be a number from 0 to 2",
        "top_p must be a number from 0 to 1",
        "max_tokens must be a whole number from 1 to 8,192 (the model's context window)"]
    assert await counts(session) == (0, 0, 0, 0)


async def test_config_must_be_an_object_and_the_model_able_to_chat(client, session, world
                                                                   ) -> None:
    world.model.status = "inactive"
    session.add(world.model)
    await session.commit()

    body = await gql(client, CREATE, {"input": {"modelId": gid("AiModel", world.model),
                                                "config": [1]}}, headers=world.headers["alice"])

    assert body["data"]["createChatSession"]["userErrors"] == [
        {"field": ["input", "config"], "message": "config must be a JSON object",
         "code": "INVALID_CONFIG"},
        {"field": ["input", "modelId"], "message": "The model 'local-chat' is inactive, not "
         "active", "code": "MODEL_UNAVAILABLE"}]
    assert await counts(session) == (0, 0, 0, 0)


async def test_viewers_cannot_start_chats_and_outsiders_cannot_see_the_model(
    client, session, world
) -> None:
    variables = {"input": {"modelId": gid("AiModel", world.model)}}
    as_viewer = await gql(client, CREATE, variables, headers=world.headers["vera"])
    as_outsider = await gql(client, CREATE, variables, headers=world.headers["olga"])
    anonymous = await gql(client, CREATE, variables)

    assert as_viewer["data"] is as_outsider["data"] is anonymous["data"] is None
    assert error_codes(as_viewer) == ["FORBIDDEN"]
    assert error_codes(as_outsider) == ["NOT_FOUND"]
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]
    assert await counts(session) == (0, 0, 0, 0)


# -- updateChatSession, archiveChatSession, deleteChatSession ----------------------------


async def test_update_changes_only_what_is_passed(client, session, world) -> None:
    chat = await chat_of(session, world, system_prompt="Be brief.", config={"temperature": 1})
    alice = world.headers["alice"]

    absent = await gql(client, UPDATE, {"input": {"id": gid("ChatSession", chat),
                                                  "title": "Renamed"}}, headers=alice)
    cleared = await gql(client, UPDATE, {"input": {"id": gid("ChatSession", chat),
                                                   "systemPrompt": None,
                                                   "config": {"top_p": 0.5}}}, headers=alice)

    assert absent["data"]["updateChatSession"] == {"chatSession": {
        "title": "Renamed", "systemPrompt": "Be brief.", "config": {"temperature": 1}},
        "userErrors": []}
    assert cleared["data"]["updateChatSession"]["chatSession"] == {
        "title": "Renamed", "systemPrompt": None, "config": {"top_p": 0.5}}
    audits = (await session.scalars(select(AuditLog).order_by(AuditLog.created_at))).all()
    assert [(a.action, a.old_values, a.new_values) for a in audits] == [
        ("chat_session.update", {"title": "A chat"}, {"title": "Renamed"}),
        ("chat_session.update", {"system_prompt": "Be brief.", "config": {"temperature": 1}},
         {"system_prompt": None, "config": {"top_p": 0.5}})]


async def test_update_validates_and_only_the_starter_may_change_a_chat(client, session, world
                                                                       ) -> None:
    chat = await chat_of(session, world)
    bad = {"input": {"id": gid("ChatSession", chat), "title": " ",
                     "config": {"stop": ["a", "b", "c", "d", "e"]}}}
    good = {"input": {"id": gid("ChatSession", chat), "title": "Mine now"}}

    invalid = await gql(client, UPDATE, bad, headers=world.headers["alice"])
    as_colleague = await gql(client, UPDATE, good, headers=world.headers["bob"])
    as_viewer = await gql(client, UPDATE, good, headers=world.headers["vera"])
    as_outsider = await gql(client, UPDATE, good, headers=world.headers["olga"])

    assert [(e["field"], e["code"]) for e in invalid["data"]["updateChatSession"][
        "userErrors"]] == [(["input", "title"], "INVALID"), (["input", "config"],
                                                             "INVALID_CONFIG")]
    assert error_codes(as_colleague) == error_codes(as_viewer) == ["FORBIDDEN"]
    assert error_codes(as_outsider) == ["NOT_FOUND"]
    await session.refresh(chat)
    assert (chat.title, chat.config) == ("A chat", {})
    assert await counts(session) == (1, 0, 0, 0)


async def test_archive_once_then_no_new_messages(client, session, world) -> None:
    chat = await chat_of(session, world)
    alice, chat_id = world.headers["alice"], gid("ChatSession", chat)

    first = await gql(client, ARCHIVE, {"id": chat_id}, headers=alice)
    second = await gql(client, ARCHIVE, {"id": chat_id}, headers=alice)
    send = await gql(client, SEND, {"input": {"sessionId": chat_id, "content": "hi"}},
                     headers=alice)

    assert first["data"]["archiveChatSession"] == second["data"]["archiveChatSession"] == {
        "chatSession": {"id": chat_id, "status": "ARCHIVED"}, "userErrors": []}
    assert send["data"]["sendMessage"]["userErrors"] == [
        {"field": ["input", "sessionId"], "message": "This chat is archived",
         "code": "SESSION_ARCHIVED"}]
    assert await audit_actions(session) == ["chat_session.archive"]
    assert await count(session, ChatMessage) == 0


async def test_archive_and_delete_are_refused_to_others(client, session, world) -> None:
    chat = await chat_of(session, world)
    chat_id = gid("ChatSession", chat)
    results = {(doc_name, who): error_codes(await gql(client, doc, {"id": chat_id},
                                                      headers=world.headers[who]))
               for doc_name, doc in (("archive", ARCHIVE), ("delete", DELETE))
               for who in ("bob", "vera", "olga")}

    assert results == {(d, w): ["NOT_FOUND" if w == "olga" else "FORBIDDEN"]
                       for d in ("archive", "delete") for w in ("bob", "vera", "olga")}
    await session.refresh(chat)
    assert (chat.status, chat.deleted_at) == ("active", None)
    assert await counts(session) == (1, 0, 0, 0)


async def test_a_deleted_chat_disappears(client, session, world) -> None:
    chat = await chat_of(session, world)
    chat_id = gid("ChatSession", chat)

    deleted = await gql(client, DELETE, {"id": chat_id}, headers=world.headers["alice"])
    node = await gql(client, NODE, {"id": chat_id}, headers=world.headers["alice"])
    again = await gql(client, DELETE, {"id": chat_id}, headers=world.headers["alice"])

    assert deleted["data"]["deleteChatSession"] == {"deletedChatSessionId": chat_id,
                                                    "userErrors": []}
    assert node["data"] == {"node": None} and error_codes(node) == ["NOT_FOUND"]
    assert error_codes(again) == ["NOT_FOUND"]
    await session.refresh(chat)
    assert chat.deleted_at is not None
    assert await audit_actions(session) == ["chat_session.delete"]
