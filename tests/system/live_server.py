"""A real server process and websocket clients of both subscription protocols, for the
end-to-end tests of live updates (deploymentStatus, notifications).

`uvicorn app.main:create_app` runs on the test database and Redis, so the handshake, the
fan-out through Redis and the clean-up on disconnect are the ones production has.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect

from tests.servers import app_servers

ROOT = Path(__file__).resolve().parent.parent.parent
TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
TIMEOUT = 10.0
POLL = 0.05


@dataclass(frozen=True)
class Server:
    http: str
    ws: str


@pytest.fixture(scope="module")
def server(settings) -> Iterator[Server]:
    """One server process for the module, on the test database and Redis."""
    with app_servers(settings) as (url,):
        yield Server(url, url.replace("http", "ws", 1) + "/graphql")


class Socket:
    """One websocket speaking either protocol, with one shape for both: `subscribe` starts an
    operation, `next` returns its next result, `ended` its end (complete or error)."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws, self.protocol = ws, protocol
        self.legacy = protocol == LEGACY_WS

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            if message["type"] != "ka":  # graphql-ws keep-alives carry nothing
                return message

    async def init(self, token: str | None) -> dict[str, Any]:
        await self.send({"type": "connection_init",
                         "payload": {"Authorization": token} if token else {}})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any], id: str = "1") -> None:
        await self.send({"id": id, "type": "start" if self.legacy else "subscribe",
                         "payload": {"query": query, "variables": variables}})

    async def next(self) -> dict[str, Any]:
        """The next result's payload (`data` in graphql-ws, `next` in graphql-transport-ws)."""
        message = await self.receive()
        assert message["type"] == ("data" if self.legacy else "next"), message
        return message["payload"]

    async def unsubscribe(self, id: str = "1") -> None:
        await self.send({"id": id, "type": "stop" if self.legacy else "complete"})

    async def nothing_pending(self) -> bool:
        """True when no message is queued before a ping's pong (graphql-transport-ws only):
        proves that nothing was delivered without waiting for a timeout."""
        assert not self.legacy
        await self.send({"type": "ping"})
        return (await self.receive())["type"] == "pong"


class connected:
    """A socket to the server, initialized with a bearer token (or anonymous)."""

    def __init__(self, server: Server, protocol: str, token: str | None) -> None:
        self.server, self.protocol, self.token = server, protocol, token

    async def __aenter__(self) -> Socket:
        self._cm = connect(self.server.ws, subprotocols=[self.protocol])  # type: ignore[list-item]
        socket = Socket(await self._cm.__aenter__(), self.protocol)
        ack = await socket.init(self.token)
        assert ack == {"type": "connection_ack"}, ack
        return socket

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)


async def post(server: Server, query: str, variables: dict[str, Any], token: str
               ) -> dict[str, Any]:
    """A GraphQL request over HTTP to the server process."""
    async with httpx.AsyncClient(base_url=server.http, timeout=TIMEOUT) as http:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers={"authorization": token})
    assert response.status_code == 200, response.text
    return response.json()


async def numsub(redis: Redis, channel: str) -> int:
    return dict(await redis.pubsub_numsub(channel))[channel.encode()]


async def numsub_becomes(redis: Redis, channel: str, expected: int) -> int:
    """Poll `PUBSUB NUMSUB` until it equals `expected` or a deadline passes (the server lets go
    of a channel asynchronously after a socket closes); returns the last value seen."""
    deadline = time.monotonic() + TIMEOUT
    count = await numsub(redis, channel)
    for _ in range(int(TIMEOUT / POLL)):  # another process's state: nothing to await instead
        if count == expected or time.monotonic() > deadline:
            break
        await asyncio.sleep(POLL)
        count = await numsub(redis, channel)
    return count
