"""Automatic persisted queries, as Apollo's clients and servers speak them.

A client sends `extensions: {persistedQuery: {version: 1, sha256Hash}}` without the document
(POST body, or GET with `extensions` as a URL-encoded JSON parameter). A hash we know runs its
document; an unknown one answers `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND,
HTTP 200, as Apollo Server does), and the client sends the document with the hash once, which
is checked (SHA-256 of the text) and stored. Documents live in Redis (`apq:{hash}`, with a
TTL, shared by every process) behind a small in-process LRU. A stored document is only text:
it is parsed, validated, authorized and scoped like any other, and over GET only queries run.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, parse
from redis.asyncio import Redis
from starlette.responses import Response
from strawberry.http import GraphQLRequestData

from services.redis_pool import best_effort

KEY_PREFIX = "apq:"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
NO_STORE = "private, no-cache, must-revalidate"  # Apollo's header on these answers


@dataclass
class PersistedQueryError(Exception):
    """An answer instead of an execution: a GraphQL error with a code and an HTTP status."""

    message: str
    code: str
    status: int

    def body(self) -> dict[str, object]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}

    def response(self) -> Response:
        return Response(orjson.dumps(self.body()), status_code=self.status,
                        media_type="application/json", headers={"cache-control": NO_STORE})


class PersistedQueries:
    """Documents by SHA-256: Redis for every process, an LRU of `cache_size` in this one.
    A hash names one text for good, so the LRU may keep a document after Redis let it go."""

    def __init__(self, redis: Redis, *, ttl_seconds: int, cache_size: int, max_tokens: int
                 ) -> None:
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self.cache_size = cache_size
        self.max_tokens = max_tokens
        self._recent: OrderedDict[str, str] = OrderedDict()

    async def resolve(self, request: GraphQLRequestData) -> None:
        """Fill in `request.query` from its hash, or store the document it brings. Requests
        without the extension are left as they are."""
        extension = (request.extensions or {}).get("persistedQuery")
        if extension is None:
            return
        if not isinstance(extension, dict) or extension.get("version") != 1:
            raise PersistedQueryError("Unsupported persisted query version",
                                      "BAD_USER_INPUT", 400)
        sha = extension.get("sha256Hash")
        if not isinstance(sha, str):
            raise PersistedQueryError("persistedQuery.sha256Hash must be a string",
                                      "BAD_USER_INPUT", 400)
        if request.query is None:
            query = await self.get(sha)
            if query is None:
                raise PersistedQueryError("PersistedQueryNotFound",
                                          "PERSISTED_QUERY_NOT_FOUND", 200)
            request.query = query
            return
        if hashlib.sha256(request.query.encode()).hexdigest() != sha:
            raise PersistedQueryError("provided sha does not match query",
                                      "BAD_USER_INPUT", 400)
        if sha not in self._recent and parses(request.query, self.max_tokens):
            self._remember(sha, request.query)
            await best_effort(self.redis.set(KEY_PREFIX + sha, request.query,
                                             ex=self.ttl_seconds), "cache")

    async def get(self, sha: str) -> str | None:
        if not SHA256_HEX.match(sha):
            return None  # nothing could have been stored under it
        query = self._recent.get(sha)
        if query is not None:
            self._recent.move_to_end(sha)
            return query
        # Redis down: not found, and the client sends the document again
        stored = await best_effort(self.redis.get(KEY_PREFIX + sha), "cache")
        if stored is None:
            return None
        query = stored.decode()
        self._remember(sha, query)
        return query

    def _remember(self, sha: str, query: str) -> None:
        self._recent[sha] = query
        if len(self._recent) > self.cache_size:
            self._recent.popitem(last=False)


def parses(query: str, max_tokens: int) -> bool:
    """Only documents that parse are stored (the request itself reports the syntax error)."""
    try:
        parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return False
    return True


def persisted_queries(state: Any) -> PersistedQueries:
    """The app's store (one per app, made on first use from its Redis and settings)."""
    store: PersistedQueries | None = getattr(state, "persisted_queries", None)
    if store is None or store.redis is not state.redis:
        settings = state.settings
        store = state.persisted_queries = PersistedQueries(
            state.redis, ttl_seconds=settings.apq_ttl_seconds,
            cache_size=settings.apq_cache_size, max_tokens=settings.max_tokens)
    return store


async def fill_in_documents(state: Any, data: GraphQLRequestData | list[GraphQLRequestData]
                            ) -> None:
    """Each operation's document from its hash, or stored from the operation (requests
    without the extension are left as they are), with the app's store."""
    for item in data if isinstance(data, list) else [data]:
        if item.extensions:
            await persisted_queries(state).resolve(item)
