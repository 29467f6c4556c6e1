"""The server's own WARNING-or-worse log records, kept in `system_logs`.

A logging handler on the app's loggers (`aiplatform.*`, `app.*`) turns each record into a row
(secrets masked) and queues it; a background task of the lifespan inserts what is queued in
batches, one statement per batch. Logging therefore never waits for the database:

- `emit` only formats and enqueues (from any thread: other threads hand over through the
  event loop); a full queue drops the record and counts it, and the next batch says how many
  were dropped.
- Records logged while the writer itself runs (a failed insert, the driver's own logs) are
  not queued again: the writer's task marks its context, so nothing recurses.

`request_context` carries the request id and the caller's user id of the request being
served (set by app/http/graphql.py), so each row says which request it came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from db.search_text import search_text
from db.session import Database
from services.security.redaction import REDACTED

log = logging.getLogger("aiplatform.system_log")

APP_LOGGERS = ("aiplatform", "app")
QUEUE_SIZE = 10_000
BATCH = 500
CLOSE_TIMEOUT = 5.0  # seconds to write what is queued on shutdown
MAX_MESSAGE = 10_000
MAX_TRACEBACK = 20_000
LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}

INSERT_SQL = """
INSERT INTO system_logs (level, module, message, logger_name, function_name, line_number,
                         request_id, user_id, metadata, created_at, search_text)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                     $7::text[], $8::uuid[], $9::jsonb[], $10::timestamptz[], $11::text[])"""


@dataclass(frozen=True, slots=True)
class RequestInfo:
    request_id: str
    user_id: uuid.UUID | None = None


request_context: ContextVar[RequestInfo | None] = ContextVar("aiplatform_request", default=None)
_in_writer: ContextVar[bool] = ContextVar("aiplatform_system_log_writer", default=False)


@contextlib.contextmanager
def bind_request(request_id: str | None, user_id: uuid.UUID | None) -> Iterator[RequestInfo]:
    """Serve a request under this id (the client's X-Request-ID, else a new one)."""
    info = RequestInfo((request_id or "").strip()[:100] or uuid.uuid4().hex, user_id)
    token = request_context.set(info)
    try:
        yield info
    finally:
        request_context.reset(token)


def bind_user(user_id: uuid.UUID | None) -> None:
    """Name the caller once it is known (a socket authenticates after it is opened)."""
    current = request_context.get()
    if current is not None:
        request_context.set(RequestInfo(current.request_id, user_id))


# -- masking secrets -----------------------------------------------------------------------

SECRET_PATTERNS = (
    # Authorization headers and bearer credentials
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # JSON web tokens, our API keys (aip_<prefix>_<secret>) and common provider keys
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    re.compile(r"\baip_[A-Za-z0-9]+_[A-Za-z0-9_-]+"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"),
)
# passwords inside URLs: scheme://user:password@host
URL_PASSWORD = re.compile(r"(://[^/\s:@]*):[^/\s@]+@")
# key=value, key: value, "key": "value" where the key names a secret (the words of
# services.security.redaction.SECRET_KEY, which masks JSON keys; `max_tokens` stays readable)
KEY_VALUE = re.compile(
    r"""(?i)(\b[\w-]*?(?:api[_-]?key|secret|passw(?:or)?d|credential|private[_-]?key|token|"""
    r"""authorization)(?:[_-]\w*)?["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&)}\]]+)""")


# one cheap scan: most messages hold none of these, and then nothing else runs
MAYBE_SECRET = re.compile(
    r"(?i)bearer|basic|eyJ|aip_|sk-|://|key|secret|passw|credential|token|authorization")


def redact_text(text: str) -> str:
    """`text` with credentials replaced by ***: bearer tokens, JWTs, API keys, passwords in
    URLs and the values of secret-looking keys."""
    if not MAYBE_SECRET.search(text):
        return text
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)
    return KEY_VALUE.sub(lambda m: m.group(1) + REDACTED, text)


# -- records -> rows -----------------------------------------------------------------------


@lru_cache(maxsize=1024)
def module_of(pathname: str, fallback: str) -> str:
    """The dotted module name of a source file (`services.knowledge.worker`), else `fallback`."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == pathname:
            return name[:100]
    return fallback[:100]


def row_of(record: logging.LogRecord) -> tuple[Any, ...]:
    """A `system_logs` row (in INSERT_SQL's order) for a record, secrets masked."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    metadata: dict[str, Any] = {}
    if record.exc_info and record.exc_info[0] is not None:
        formatted = "".join(traceback.format_exception(*record.exc_info))
        metadata["exception"] = redact_text(formatted[-MAX_TRACEBACK:])
    elif record.exc_text:
        metadata["exception"] = redact_text(record.exc_text[-MAX_TRACEBACK:])
    request = request_context.get()
    level = record.levelname if record.levelname in LEVELS else (
        "CRITICAL" if record.levelno >= logging.CRITICAL else "ERROR"
        if record.levelno >= logging.ERROR else "WARNING")
    message = redact_text(message[:MAX_MESSAGE])
    return (level, module_of(record.pathname, record.module), message, record.name[:100],
            record.funcName[:100] if record.funcName else None,
            record.lineno, request.request_id if request else None,
            request.user_id if request else None, metadata,
            datetime.fromtimestamp(record.created, UTC), search_text(message))


class SystemLogHandler(logging.Handler):
    """Queues rows for the writer; never blocks and never raises into the caller."""

    def __init__(self, queue: asyncio.Queue[tuple[Any, ...]], loop: asyncio.AbstractEventLoop,
                 level: int) -> None:
        super().__init__(level)
        self.queue, self.loop = queue, loop
        self.loop_thread = threading.get_ident()
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if _in_writer.get() or record.name == log.name:
            return  # the writer's own trouble: never queued again (no recursion)
        try:
            row = row_of(record)
            if threading.get_ident() == self.loop_thread:
                self.put(row)
            elif not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self.put, row)
        except Exception:
            self.handleError(record)

    def put(self, row: tuple[Any, ...]) -> None:
        try:
            self.queue.put_nowait(row)
        except asyncio.QueueFull:
            self.dropped += 1


class SystemLogWriter:
    """Owns the handler and the task that writes its queue; started and closed by the
    lifespan."""

    def __init__(self, db: Database, level: str = "WARNING") -> None:
        self.db = db
        self.level = logging.getLevelName(level.upper())
        if not isinstance(self.level, int):
            raise ValueError(f"unknown log level {level!r}")
        self.queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue(QUEUE_SIZE)
        self.handler: SystemLogHandler | None = None
        self.task: asyncio.Task[None] | None = None
        self.written = 0

    def start(self) -> None:
        self.handler = SystemLogHandler(self.queue, asyncio.get_running_loop(), self.level)
        for name in APP_LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self.handler)
            if logger.getEffectiveLevel() > self.level:
                logger.setLevel(self.level)  # records at our level must reach the handler
        self.task = asyncio.create_task(self._run(), name="system-log-writer")

    async def close(self) -> None:
        """Stop listening, write what is still queued, stop the task."""
        if self.handler is not None:
            for name in APP_LOGGERS:
                logging.getLogger(name).removeHandler(self.handler)
        if self.task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), CLOSE_TIMEOUT)
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def flush(self) -> None:
        """Wait until every row logged so far is written (or has failed to be). A record of
        another thread reaches the queue through a loop callback: one round through the loop
        runs the callbacks scheduled before it."""
        loop = asyncio.get_running_loop()
        turn = loop.create_future()
        loop.call_soon_threadsafe(turn.set_result, None)
        await turn
        await self.queue.join()

    async def _run(self) -> None:
        _in_writer.set(True)  # this task's context only: its own logging is not queued
        while True:
            rows = [await self.queue.get()]
            while len(rows) < BATCH and not self.queue.empty():
                rows.append(self.queue.get_nowait())
            try:
                await self.write(rows)
            except Exception:
                log.exception("could not write %d system log records", len(rows))
            finally:
                for _ in rows:
                    self.queue.task_done()

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        dropped = self.handler.dropped if self.handler is not None else 0
        if dropped and self.handler is not None:
            self.handler.dropped = 0
            rows = [*rows, ("WARNING", __name__, f"{dropped} log records were dropped: the "
                            "system log queue was full", log.name, "write", None, None, None,
                            {}, datetime.now(UTC))]
        columns = [list(c) for c in zip(*rows, strict=True)]
        await self.db.fetch(INSERT_SQL, *columns)
        self.written += len(rows)
