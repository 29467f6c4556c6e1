"""What bench/soak.py's clients are made of: the server processes and their per-minute tally,
the callers, one GraphQL request over HTTP, and one subscription over graphql-transport-ws.
Every failure is counted against the process that served it, never raised."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

WAIT = 30.0  # seconds a reply or an event may take before it counts as an error
# below the server's keep-alive timeout (uvicorn: 5 s), so a client never reuses a connection
# the server is closing (that race is the client's to avoid, as browsers do by retrying)
LIMITS = httpx.Limits(keepalive_expiry=2.0)


@dataclass
class Tally:
    """One process's figures for the current minute."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]
    minute: Tally = field(default_factory=Tally)
    rss: list[float] = field(default_factory=list)
    errors: int = 0
    requests: int = 0

    def rss_mb(self) -> float:
        """Resident memory of the process, from /proc (Linux)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


@dataclass
class Caller:
    token: str
    refresh: str
    organization_id: str
    model: str
    chats: list[str]
    runs: list[str]
    step: int = 1_000_000
    turns: Counter[str] = field(default_factory=Counter)


async def graphql(server: Server, http: httpx.AsyncClient, query: str, variables: dict[str, Any],
                  caller: Caller | str | None = None, *, strict: bool = False
                  ) -> dict[str, Any] | None:
    """The data of an answer; anything else counts as an error of `server` (or, `strict`,
    stops the soak: its set-up must succeed). A caller's request that met its tokens being
    renewed is sent again once with the new token, as a client would."""
    for _attempt in range(2):
        token = caller.token if isinstance(caller, Caller) else caller
        headers = {"authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        try:
            answer = await http.post(server.url + "/graphql", headers=headers,
                                     json={"query": query, "variables": variables})
            body = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            server.minute.errors[type(error).__name__] += 1
            return None
        finally:
            server.minute.latencies.append(time.perf_counter() - started)
        if not (answer.status_code == 401 and isinstance(caller, Caller)
                and caller.token != token):
            break
    payloads = (body.get("data") or {}).values()
    if strict and (answer.status_code != 200 or body.get("errors") or any(
            isinstance(p, dict) and p.get("userErrors") for p in payloads)):
        raise SystemExit(f"set-up failed: {answer.text}")
    if answer.status_code != 200 or body.get("errors"):
        server.minute.errors[f"HTTP {answer.status_code}"] += 1
        return None
    data = body["data"]
    payload = next(iter(data.values()))
    if isinstance(payload, dict) and payload.get("userErrors"):
        server.minute.errors[payload["userErrors"][0]["code"]] += 1
        return None
    return data


class Subscription:
    """One graphql-transport-ws socket with one subscription, its events in a queue."""

    def __init__(self, server: Server, token: str, query: str, variables: dict[str, Any]) -> None:
        self.server, self.token, self.query, self.variables = server, token, query, variables
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def __aenter__(self) -> Subscription:
        url = self.server.url.replace("http://", "ws://") + "/graphql"
        self.socket = await websockets.connect(url, subprotocols=["graphql-transport-ws"])
        await self.socket.send(orjson.dumps({"type": "connection_init", "payload": {
            "Authorization": f"Bearer {self.token}"}}).decode())
        ack = orjson.loads(await asyncio.wait_for(self.socket.recv(), WAIT))
        if ack["type"] != "connection_ack":
            raise RuntimeError(f"not acknowledged: {ack}")
        await self.socket.send(orjson.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": self.query, "variables": self.variables}}).decode())
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for raw in self.socket:
            message = orjson.loads(raw)
            if message["type"] in ("next", "error", "complete"):
                await self.events.put(message)

    async def __aexit__(self, *exc: object) -> None:
        self.reader.cancel()
        await self.socket.close()

    async def until(self, typenames: set[str]) -> dict[str, Any]:
        """The first event whose __typename is one of `typenames` (TimeoutError after WAIT)."""
        async with asyncio.timeout(WAIT):
            while True:
                message = await self.events.get()
                if message["type"] != "next":
                    raise RuntimeError(f"subscription ended: {message}")
                event = next(iter(message["payload"]["data"].values()))
                if event["__typename"] in typenames:
                    return event
