"""Unix socket paths: checked for length and unsafe characters, else moved to /tmp."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from pathlib import Path

from app.embedded.accounts import _Account
from app.embedded.constants import _MAX_SOCKET_PATH, _UNSAFE_PATH_CHARS


def _path_ok(path: Path) -> bool:
    text = str(path)
    return len(os.fsencode(text)) <= _MAX_SOCKET_PATH and not _UNSAFE_PATH_CHARS & set(text)


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
