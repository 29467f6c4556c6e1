"""This process's mark of life in PostgreSQL: an advisory lock held on a connection of its own.

A server generates chat replies in tasks of its own process; when the process is killed
(SIGKILL, the OOM killer, a lost machine) nothing is left to store them as failed. Each reply
names its generator by this lock's key (`chat_pending_replies.holder`), and PostgreSQL drops
the lock the moment the holder's connection goes: any other process tells, in one statement
over `pg_locks`, which pending replies have no live generator left
(services/orphaned_replies.py), with no lease to renew and no clocks to compare.

The connection is re-opened, and the lock taken again, after PostgreSQL restarts; while it is
down, the process's own replies look orphaned to others (they are ended as failed; if one is
then stored complete all the same, the stored message wins).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

import asyncpg

from db.session import asyncpg_dsn

log = logging.getLogger("aiplatform.process_lease")

LOCK_CLASS = 0x41495052  # the first key of every holder's lock ("AIPR"); the second is the holder
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)


class ProcessLease:
    """Started by the lifespan before the first request; `key` is what replies record."""

    def __init__(self, database_url: str) -> None:
        self.dsn = asyncpg_dsn(database_url)
        self.key = secrets.randbelow(2**31 - 2) + 1  # a positive int4, as pg_locks shows it
        self._lost: asyncio.Future[None] | None = None  # resolved when the connection goes
        self._task: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None

    async def start(self) -> None:
        """Take the lock (a connection error here fails start-up, as the pools' does)."""
        await self._take()
        self._task = asyncio.create_task(self._keep(), name="process-lease")

    async def _take(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            while not await connection.fetchval(
                    "SELECT pg_try_advisory_lock($1, $2)", LOCK_CLASS, self.key):
                self.key = secrets.randbelow(2**31 - 2) + 1  # another process drew this one
        except BaseException:
            await connection.close()
            raise
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def terminated(_connection: object) -> None:
            if not lost.done():
                lost.set_result(None)
        connection.add_termination_listener(terminated)
        self._connection, self._lost = connection, lost

    async def _keep(self) -> None:
        """Wait for the connection to go, then take the lock again on a new one."""
        attempt = 0
        while True:
            if attempt == 0 and self._lost is not None:
                await self._lost
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            try:
                await self._take()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                if attempt == 0:
                    log.warning("the process lease is lost, retrying: %s", error)
                attempt += 1
                continue
            log.info("the process lease is held again")
            attempt = 0

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None and not self._connection.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self._connection.close(timeout=2)
