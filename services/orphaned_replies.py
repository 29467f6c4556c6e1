"""Replies whose generating process died, ended as failed with their reason.

A reply is pending from the transaction that asked for it (`sendMessage`,
`regenerateMessage`) until the one that stores it or its failure. Its row names the process
generating it by that process's advisory lock (services/process_lease.py); a row whose lock
nobody holds any more belongs to a process that was killed. Such rows are ended here, the way
the generating task itself ends a reply it cannot finish: a usage row saying why (status
`cancelled`, the prompt's tokens and cost), and a `failed` event to the chat's subscribers on
every process, which also takes the reply out of Redis' pending replies (late subscribers
stop replaying it). The user's message stays, and `regenerateMessage` answers it again.

Run by every server as it starts (a restarted server ends what its previous life left) and by
the worker tier each minute (a process that dies while others run on).
"""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis
from sqlalchemy import text

from db.session import Database
from services.chat_stream import failed_event, publish_end
from services.process_lease import LOCK_CLASS
from services.redis_pool import best_effort

log = logging.getLogger("aiplatform.chat")

SERVER_STOPPED = "The server stopped before the reply was complete; regenerate it"

# one statement: rows whose holder holds no lock are taken (SKIP LOCKED: a reply being stored
# right now is its generator's), deleted, and written as failed usage
END_ORPHANS = text("""
WITH orphaned AS (
    DELETE FROM chat_pending_replies p
    WHERE p.id IN (
        SELECT q.id FROM chat_pending_replies q
        WHERE NOT EXISTS (
            SELECT 1 FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
              AND l.classid = CAST(:lock_class AS oid) AND l.objid::bigint = q.holder)
        FOR UPDATE SKIP LOCKED)
    RETURNING p.*
)
INSERT INTO model_usage_logs (organization_id, user_id, model_id, session_id, request_type,
                              input_tokens, output_tokens, total_tokens, cost, duration_ms,
                              status, error_message, metadata, deployment_id, api_key_id)
SELECT organization_id, user_id, model_id, session_id, 'chat', prompt_tokens, 0,
       prompt_tokens, prompt_cost,
       CAST(extract(epoch FROM clock_timestamp() - created_at) * 1000 AS integer),
       'cancelled', :error, jsonb_build_object('message_id', id::text), deployment_id,
       api_key_id
FROM orphaned
RETURNING session_id, metadata ->> 'message_id' AS message_id""")


async def end_orphaned_replies(db: Database, redis: Redis | None) -> int:
    """End the pending replies of dead processes; how many were ended."""
    async with db.sessionmaker() as session, session.begin():
        ended = (await session.execute(END_ORPHANS, {"lock_class": LOCK_CLASS,
                                                     "error": SERVER_STOPPED})).all()
    for session_id, message_id in ended:
        reply_id = uuid.UUID(message_id)
        log.warning("reply %s of chat %s ended: its server stopped", reply_id, session_id)
        if redis is not None:  # subscribers are told; the stored failure stands without it
            await best_effort(publish_end(redis, session_id, reply_id,
                                          failed_event(reply_id, SERVER_STOPPED)), "chat")
    return len(ended)
