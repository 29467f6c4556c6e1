"""Who is calling: turns a request into a `Principal` for scoping.

Accounts, tokens and API keys arrive with the identity issue. Until then every caller is
treated as a platform superuser, which is why the server binds to 127.0.0.1 by default.
The scoping itself is already enforced on every read path (db/scope.py) and tested with
restricted principals.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from db.scope import Principal


async def principal_for(connection: HTTPConnection) -> Principal:
    return Principal.superuser()
