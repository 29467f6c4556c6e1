"""The OS account postgres runs as, and the permissions it needs on the install and data dir."""

from __future__ import annotations

import logging
import os
import pwd
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.embedded.constants import PG_SYSTEM_USER

logger = logging.getLogger(__package__)  # "app.embedded", one logger for the package


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
