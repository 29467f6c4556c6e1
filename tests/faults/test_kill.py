"""A server killed (SIGKILL: no shutdown, no goodbye) loses nothing: the reply it was
streaming ends failed with its reason, told to the chat's subscribers on other processes, once
a server starts again; the document it was ingesting is finished by the next worker."""

from __future__ import annotations

import asyncio
import signal
import uuid
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import from_base64, to_base64

from db.models import ChatMessage, ChatPendingReply, KnowledgeDocument, ModelUsageLog
from db.models.knowledge import KnowledgeChunk
from db.session import Database
from resolvers.chat.generation import ReplyJob, pending_reply
from services.chat_stream import replies_key
from services.orphaned_replies import SERVER_STOPPED, end_orphaned_replies
from services.process_lease import ProcessLease
from services.settings import Settings
from tests.conftest import bearer_headers
from tests.factories.ai_models import make_model
from tests.factories.chat import make_chat_session
from tests.factories.identity import make_membership, make_organization, make_user
from tests.faults.conftest import until
from tests.knowledge.conftest import ADD, CREATE
from tests.test_shutdown import chat_with_slow_model, next_event, send, serving, socket, until_delta

WAIT = 120.0


async def test_only_replies_whose_process_is_gone_are_ended(
        db: Database, settings: Settings, session: AsyncSession) -> None:
    # given two pending replies, one vouched for by a live process, one by a process that is gone
    assert settings.database_url
    org, user = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=user)
    model = await make_model(session, organization=org, pricing={"input_per_1k": 2})
    chat = await make_chat_session(session, user=user, model=model)
    prompt = ChatMessage(organization_id=org.id, session_id=chat.id, role="user",
                         content="hello", sequence_number=1)
    session.add(prompt)
    await session.flush()
    live, gone = ProcessLease(settings.database_url), ProcessLease(settings.database_url)
    await live.start()
    await gone.start()
    jobs = {lease: ReplyJob(session_id=chat.id, organization_id=org.id, user_id=user.id,
                            model_id=model.id, reply_id=uuid.uuid4(), parent_id=prompt.id,
                            provider="local", model_name=model.name, turns=(),
                            pricing={"input_per_1k": 2})
            for lease in (live, gone)}
    for lease, job in jobs.items():
        session.add(pending_reply(job, lease.key))
    await session.commit()
    expected = (chat.id, user.id, model.id)
    try:
        await gone.close()

        # when replies of dead processes are ended
        assert await end_orphaned_replies(db, None) == 1

        # then only the gone process's reply is, as a failed usage row with the reason
        session.expire_all()
        usage = (await session.execute(select(ModelUsageLog))).scalar_one()
        assert usage.metadata_ == {"message_id": str(jobs[gone].reply_id)}
        assert (usage.status, usage.error_message) == ("cancelled", SERVER_STOPPED)
        assert (usage.session_id, usage.user_id, usage.model_id) == expected
        assert [row.id for row in (await session.execute(select(ChatPendingReply))).scalars()
                ] == [jobs[live].reply_id]
        # and a second look ends nothing more while the live process lives
        assert await end_orphaned_replies(db, None) == 0
    finally:
        await live.close()
    assert await end_orphaned_replies(db, None) == 1  # its process gone too, its reply ends


@pytest.mark.slow
async def test_a_reply_of_a_killed_server_ends_failed_and_subscribers_elsewhere_are_told(
        app, settings: Settings, db: Database, session: AsyncSession, tmp_path: Path) -> None:
    # given two servers, a reply of about 30 s streaming from the first to a socket on the other
    chat, headers = await chat_with_slow_model(app, session, delay_ms=1000)
    with serving(settings, tmp_path / "b", 5) as (other_url, _):
        with serving(settings, tmp_path / "a", 5) as (url, proc):
            ws = await socket(other_url, "graphql-transport-ws", headers, chat)
            reply_id = await send(url, headers, chat)
            await until_delta(ws)

            # when the first is killed in the middle of the reply
            proc.send_signal(signal.SIGKILL)
            proc.wait()

        # then nothing is stored yet: nobody has seen the process go
        session.expire_all()
        assert await session.get(ChatPendingReply, reply_id) is not None

        # and when a server starts again, the reply ends as failed, with the reason
        with serving(settings, tmp_path / "a2", 5):
            async with asyncio.timeout(WAIT):
                event = await next_event(ws)
                while event["__typename"] == "ChatTokenDelta":
                    event = await next_event(ws)
            # the subscriber on the other server is told
            assert event == {"__typename": "ChatMessageFailed",
                             "messageId": to_base64("ChatMessage", reply_id),
                             "error": SERVER_STOPPED}
        await ws.close()

    session.expire_all()
    assert await session.get(ChatMessage, reply_id) is None
    assert await session.get(ChatPendingReply, reply_id) is None
    usage = (await session.execute(select(ModelUsageLog))).scalar_one()
    assert (usage.status, usage.error_message) == ("cancelled", SERVER_STOPPED)
    assert usage.metadata_["message_id"] == str(reply_id)
    redis = Redis.from_url(settings.redis_url)
    try:  # and it is no longer replayed as streaming to late subscribers
        assert await redis.smembers(replies_key(chat)) == set()
    finally:
        await redis.aclose()


@pytest.mark.slow
async def test_a_document_being_ingested_by_a_killed_server_is_finished_by_the_next(
        app, settings: Settings, session: AsyncSession, tmp_path: Path) -> None:
    # given a server ingesting a long document in its own worker
    org, admin = await make_organization(session), await make_user(session)
    await make_membership(session, organization=org, user=admin, role="admin")
    await session.commit()
    headers = await bearer_headers(app, session, admin)
    paragraphs = [f"Paragraph {i}: the charger reports its output voltage and current every "
                  f"fifty milliseconds while the battery asks for {i % 40 + 10} amperes. " * 8
                  for i in range(48)]
    quick_recovery = {"AIPLATFORM_WORKER_HEARTBEAT_SECONDS": "0.5",
                      "AIPLATFORM_WORKER_STALLED_SECONDS": "3"}
    with serving(settings, tmp_path / "a", 5, **quick_recovery) as (url, proc):
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
            created = (await http.post("/graphql", json={"query": CREATE, "variables": {
                "input": {"organizationId": to_base64("Organization", org.id),
                          "name": "manuals"}}})).json()
            collection = created["data"]["createKnowledgeCollection"]["collection"]["id"]
            added = (await http.post("/graphql", json={"query": ADD, "variables": {"input": {
                "collectionId": collection, "title": "charging.txt",
                "text": "\n\n".join(paragraphs)}}})).json()
        document_id = uuid.UUID(from_base64(
            added["data"]["addKnowledgeDocument"]["document"]["id"])[1])

        async def processing() -> bool:
            async with app.state.db.sessionmaker() as s:
                row = await s.get(KnowledgeDocument, document_id)
                return row is not None and row.upload_status == "processing"
        await until(processing, "the document taken by the worker", WAIT)

        # when the server is killed in the middle of it
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    session.expire_all()
    document = await session.get(KnowledgeDocument, document_id)
    assert document is not None and document.upload_status == "processing"

    # then the next server's worker finishes it: ready, each chunk once
    with serving(settings, tmp_path / "a2", 5, **quick_recovery):
        async def ready() -> bool:
            async with app.state.db.sessionmaker() as s:
                row = await s.get(KnowledgeDocument, document_id)
                return row is not None and row.upload_status in ("completed", "failed")
        await until(ready, "the document ready", WAIT)

    session.expire_all()
    document = await session.get(KnowledgeDocument, document_id)
    assert document is not None
    assert (document.upload_status, document.processing_error) == ("completed", None)
    positions = (await session.execute(select(KnowledgeChunk.position).where(
        KnowledgeChunk.document_id == document_id))).scalars().all()
    assert sorted(positions) == list(range(document.chunk_count)) and len(positions) > 10
