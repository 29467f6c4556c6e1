"""Purging deleted organizations: AIPLATFORM_ORGANIZATION_PURGE_DAYS after deleteOrganization,
everything an organization held goes for good.

One organization at a time, claimed with `FOR UPDATE SKIP LOCKED` (several processes may run
this at once): the points of its documents in Qdrant or Chroma and its stored files are
removed first, then the organization row, whose delete cascades through every table. A
failure leaves the row for the next run, which removes what is left (both removals tolerate
what is already gone).

A worker runs it every hour (services/jobs/tasks.py, the maintenance queue).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from db.session import Database
from services.settings import Settings
from services.storage.base import Storage, split_path
from services.vectorstores import store_for

log = logging.getLogger("aiplatform.purge")


CLAIM = text("""
SELECT id FROM organizations WHERE deleted_at IS NOT NULL AND deleted_at <= :before
ORDER BY deleted_at FOR UPDATE SKIP LOCKED LIMIT 1""")
EXTERNAL_DOCUMENTS = text("""
SELECT d.id, d.collection_id, c.vector_store FROM knowledge_documents d
JOIN knowledge_collections c ON c.id = d.collection_id
WHERE c.organization_id = :org AND c.vector_store <> 'pgvector'""")
FILES = text("SELECT storage_path FROM files WHERE organization_id = :org")
DELETE = text("DELETE FROM organizations WHERE id = :org")


async def purge_deleted_organizations(db: Database, settings: Settings,
                                      storage: Storage) -> list[uuid.UUID]:
    """Purge every organization deleted more than the purge period ago; their ids."""
    before = datetime.now(UTC) - timedelta(days=settings.organization_purge_days)
    purged: list[uuid.UUID] = []
    while True:
        async with db.sessionmaker() as session, session.begin():
            org_id = (await session.execute(CLAIM, {"before": before})).scalar_one_or_none()
            if org_id is None:
                return purged
            for doc in (await session.execute(EXTERNAL_DOCUMENTS, {"org": org_id})).all():
                await store_for(doc.vector_store).delete_document(
                    session, organization_id=org_id, collection_id=doc.collection_id,
                    document_id=doc.id)
            for (path,) in (await session.execute(FILES, {"org": org_id})).all():
                await storage.delete(split_path(path)[1])
            await session.execute(DELETE, {"org": org_id})
        purged.append(org_id)
        log.info("organization %s purged", org_id)
