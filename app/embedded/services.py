"""EmbeddedServices, the public handle, and the per-process registry of data_dir hosts."""

from __future__ import annotations

import atexit
import logging
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Self

from app.embedded.constants import _UNSAFE_PATH_CHARS
from app.embedded.host import _Host

logger = logging.getLogger(__package__)  # "app.embedded", one logger for the package


_registry: dict[Path, _Host] = {}
_registry_lock = threading.RLock()
_atexit_registered = False


def _close_all() -> None:
    """atexit fallback: stop every server this process still owns."""
    with _registry_lock:
        hosts = list(_registry.values())
        _registry.clear()
    for host in hosts:
        try:
            host.close()
        except Exception:
            logger.exception("stopping embedded servers in %s failed", host.data_dir)


def _forget_in_child() -> None:
    """A forked child owns nothing: drop our lock fds so a dead parent's lock is released."""
    global _registry_lock
    for host in _registry.values():
        host.closed = True
        host._close_fd()
    _registry.clear()
    _registry_lock = threading.RLock()


os.register_at_fork(after_in_child=_forget_in_child)


class EmbeddedServices:
    """Real PostgreSQL and Redis servers kept under data_dir, owned by this process.

    Why real servers rather than SQLite/fakeredis: dev, tests and benchmarks then exercise the
    same SQL, asyncpg driver and redis protocol as a deployment with managed services.

    Lifetime rules:

    * ``start()`` is idempotent and blocking (from an event loop use ``asyncio.to_thread``).
      The first start on a data_dir runs initdb (~1-2 s) and creates database "aiplatform".
    * Within one process, several instances on the same data_dir share one set of servers
      (refcounted); a server stops when the last instance using it calls ``stop()``.
    * Another *live* process that owns the data_dir (holds ``embedded.lock``) is not disturbed:
      with ``attach=True`` (default) we use its servers and never stop them, else
      ``DataDirInUseError``.
    * Servers left running by an owner that died without stopping them (kill -9, unhandled
      SIGTERM) are stopped cleanly and restarted by the next start(), so they pick up current
      options and are owned again; stale ``postmaster.pid`` / redis socket files are handled.
    * ``stop()`` waits until the server processes are gone (SIGKILL as a last resort); it is safe
      in a ``finally`` block and an atexit hook calls it for anything still running. The servers
      run in their own sessions, so a terminal Ctrl-C reaches only us and stop() stays in charge.
    * Durability is left at the defaults (fsync on); redis saves dump.rdb on stop.
    """

    def __init__(
        self, data_dir: Path, *, postgres: bool = True, redis: bool = True, attach: bool = True
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        if _UNSAFE_PATH_CHARS & set(str(self.data_dir)):
            raise ValueError(f"data_dir may not contain any of {sorted(_UNSAFE_PATH_CHARS)!r}")
        self.postgres = postgres
        self.redis = redis
        self.attach = attach
        self._host: _Host | None = None

    def start(self) -> None:
        global _atexit_registered
        with _registry_lock:
            if self._host is not None:
                return
            if not _atexit_registered:
                atexit.register(_close_all)
                _atexit_registered = True
            host = _registry.get(self.data_dir)
            created = host is None
            if host is None:
                host = _Host(self.data_dir, attach=self.attach)
            try:
                host.acquire(postgres=self.postgres, redis=self.redis)
            except BaseException:
                if created:
                    host.close()
                raise
            _registry[self.data_dir] = host
            self._host = host

    def stop(self) -> None:
        with _registry_lock:
            host, self._host = self._host, None
            if host is None:
                return
            host.release(postgres=self.postgres, redis=self.redis)
            if host.idle or host.closed:
                if _registry.get(self.data_dir) is host:
                    del _registry[self.data_dir]
                host.close()

    def _started_host(self) -> _Host:
        if self._host is None:
            raise RuntimeError("EmbeddedServices.start() has not been called")
        return self._host

    @property
    def database_url(self) -> str:
        """postgresql+asyncpg URL over the unix socket (drop "+asyncpg" for plain asyncpg)."""
        if not self.postgres:
            raise RuntimeError("created with postgres=False")
        return self._started_host().url("postgres")

    @property
    def redis_url(self) -> str:
        """unix:///abs/path/redis.sock, for redis.asyncio.from_url."""
        if not self.redis:
            raise RuntimeError("created with redis=False")
        return self._started_host().url("redis")

    @property
    def server_pids(self) -> dict[str, int]:
        """Pids of the running servers ("postgres" = postmaster, "redis"), for checks/tests."""
        return self._started_host().server_pids()

    @property
    def is_owner(self) -> bool:
        """False when attached to servers owned by another process."""
        return self._started_host().remote is None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
