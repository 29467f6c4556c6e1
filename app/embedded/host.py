"""One process's hold on a data_dir: the flock, the state file, and refcounted servers."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import psutil

from app.embedded.accounts import _Account
from app.embedded.constants import START_TIMEOUT
from app.embedded.postgres import _Postgres
from app.embedded.redis_server import _Redis
from app.embedded.sockets import _short_dir_path

logger = logging.getLogger(__package__)  # "app.embedded", one logger for the package


class DataDirInUseError(RuntimeError):
    """Another live process owns the servers of this data_dir (and attaching was not allowed)."""


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _Host:
    """This process's handle on one data_dir.

    Either the owner (holds the flock on embedded.lock, runs the servers, refcounts the
    EmbeddedServices using each) or attached to servers another live process owns.
    """

    def __init__(self, data_dir: Path, *, attach: bool) -> None:
        self.data_dir = data_dir
        self.state_file = data_dir / "embedded.json"
        self.pid = os.getpid()
        self.users = {"postgres": 0, "redis": 0}
        self.postgres: _Postgres | None = None
        self.redis: _Redis | None = None
        self.remote: dict[str, Any] | None = None  # state of the owner we attached to
        self.closed = False
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "logs").mkdir(exist_ok=True)
        self.lock_fd: int | None = os.open(
            data_dir / "embedded.lock", os.O_RDWR | os.O_CREAT, 0o644
        )
        deadline = time.monotonic() + START_TIMEOUT
        # The kernel drops a flock when its holder dies (even kill -9), so a held lock is exact
        # proof of a live owner; our fds are CLOEXEC, so the servers never inherit it.
        while not _try_flock(self.lock_fd):
            if not attach:
                self._close_fd()
                raise DataDirInUseError(f"{data_dir} is in use by another process")
            state = self._read_state()
            if state is not None and psutil.pid_exists(state["pid"]):
                self.remote = state
                self._close_fd()
                logger.info("attached to servers of pid %d in %s", state["pid"], data_dir)
                return
            if time.monotonic() >= deadline:  # owner alive but never became ready
                self._close_fd()
                raise DataDirInUseError(f"{data_dir} is locked but its owner is not ready")
            time.sleep(0.1)
        self.state_file.unlink(missing_ok=True)  # left by a crashed owner
        os.ftruncate(self.lock_fd, 0)
        os.write(self.lock_fd, f"{self.pid}\n".encode())

    def _close_fd(self) -> None:
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # releases the flock
            self.lock_fd = None

    def _read_state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def _write_state(self) -> None:
        state = {
            "pid": self.pid,
            "postgres": self.postgres.url if self.postgres else None,
            "redis": self.redis.url if self.redis else None,
            "pids": self.server_pids(),
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(self.state_file)

    def url(self, service: str) -> str:
        server = self.postgres if service == "postgres" else self.redis
        if self.remote is not None:
            url = self.remote.get(service)
        else:
            url = server.url if server else None
        if url is None:
            raise RuntimeError(f"embedded {service} is not running for {self.data_dir}")
        return url

    def server_pids(self) -> dict[str, int]:
        if self.remote is not None:
            return dict(self.remote.get("pids", {}))
        servers = {"postgres": self.postgres, "redis": self.redis}
        return {name: s.proc.pid for name, s in servers.items() if s and s.proc}

    def acquire(self, *, postgres: bool, redis: bool) -> None:
        wanted = [name for name, on in (("postgres", postgres), ("redis", redis)) if on]
        if self.remote is not None:
            self.remote = self._read_state() or self.remote
            missing = [name for name in wanted if not self.remote.get(name)]
            if missing:
                raise DataDirInUseError(
                    f"{self.data_dir} is owned by pid {self.remote['pid']}, which runs no {missing}"
                )
            for name in wanted:
                self.users[name] += 1
            return
        bumped: list[str] = []
        try:
            # Only postgres needs the (possibly root-created) system account.
            account = _Account.for_postgres() if postgres else _Account.current()
            for name in wanted:
                if self.users[name] == 0:
                    t0 = time.monotonic()
                    if name == "postgres":
                        self.postgres = _Postgres(self.data_dir, account)
                        self.postgres.start()
                    else:
                        self.redis = _Redis(self.data_dir, account)
                        self.redis.start()
                    logger.info("embedded %s up in %.2fs", name, time.monotonic() - t0)
                self.users[name] += 1
                bumped.append(name)
            self._write_state()
        except BaseException:
            for name in bumped:
                self.users[name] -= 1
            for name in wanted:
                if self.users[name] == 0:
                    self._stop(name)  # also a half-started server (e.g. createdb failed)
            raise

    def _stop(self, name: str) -> None:
        t0 = time.monotonic()
        if name == "postgres" and self.postgres is not None:
            self.postgres.stop()
            self.postgres = None
        elif name == "redis" and self.redis is not None:
            self.redis.stop()
            self.redis = None
        else:
            return
        with contextlib.suppress(OSError):  # only succeeds once both sockets are gone
            _short_dir_path(self.data_dir).rmdir()
        logger.info("embedded %s stopped in %.2fs", name, time.monotonic() - t0)

    def release(self, *, postgres: bool, redis: bool) -> None:
        for name, on in (("postgres", postgres), ("redis", redis)):
            if on and self.users[name] > 0:
                self.users[name] -= 1
                if self.users[name] == 0 and self.remote is None and not self.closed:
                    self._stop(name)
        if self.remote is None and not self.closed and not self.idle:
            self._write_state()

    @property
    def idle(self) -> bool:
        return not any(self.users.values())

    def close(self) -> None:
        """Stop everything we own, whatever the refcounts, and give up the data_dir."""
        if self.closed:
            return
        self.closed = True
        if self.remote is None and self.pid == os.getpid():  # a forked child owns nothing
            self.state_file.unlink(missing_ok=True)
            errors: list[BaseException] = []
            for name in ("redis", "postgres"):
                try:
                    self._stop(name)
                except Exception as exc:
                    errors.append(exc)
            self.users = {"postgres": 0, "redis": 0}
            if errors:
                self._close_fd()
                raise errors[0]
        self._close_fd()
