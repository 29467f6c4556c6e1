"""The fan-out benchmark's websocket client: websockets' sans-I/O protocol on an asyncio
transport, so 1,000 sockets in one process measure the server rather than themselves (an
arriving frame is parsed where its bytes arrive; recording an event costs a clock reading and
an append)."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri


class Socket(asyncio.Protocol):
    """One client websocket on websockets' sans-I/O protocol: frames are parsed where the bytes
    arrive, so recording an event costs a clock reading and an append (pings are answered)."""

    def __init__(self, ws_url: str, subprotocol: str) -> None:
        self.ws = ClientProtocol(parse_uri(ws_url), subprotocols=[Subprotocol(subprotocol)])
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.inbox: asyncio.Queue[bytes | BaseException] = asyncio.Queue()
        self.recording: tuple[list[tuple[float, str | bytes]], int, Counter] | None = None
        self.recorded: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, ws_url: str, subprotocol: str) -> Socket:
        parts = urlsplit(ws_url)
        _, socket = await asyncio.get_running_loop().create_connection(
            lambda: cls(ws_url, subprotocol), parts.hostname, parts.port or 80)
        await socket.opened
        return socket

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        self.ws.send_request(self.ws.connect())
        self.flush()

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self.opened.set_exception(self.ws.handshake_exc)
                else:
                    self.opened.set_result(None)
            elif isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
                self.message(arrived, event.data)
            elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                self.end(ConnectionError(f"closed by the server: {event.data!r}"))
        self.flush()  # pongs, closes

    def message(self, arrived: float, data: bytes) -> None:
        if self.recording is None:
            self.inbox.put_nowait(data)
            return
        arrivals, expected, counter = self.recording
        if len(data) < 32 and orjson.loads(data).get("type") == "ka":
            return  # graphql-ws keep-alive
        arrivals.append((arrived, data))
        counter.add()
        if len(arrivals) == expected and not self.recorded.done():
            self.recorded.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.end(exc or ConnectionError("connection closed"))

    def end(self, error: BaseException) -> None:
        if not self.opened.done():
            self.opened.set_exception(error)
        if not self.recorded.done():
            self.recorded.set_exception(error)
        self.inbox.put_nowait(error)

    def flush(self) -> None:
        assert self.transport is not None
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send_text(orjson.dumps(message))
        self.flush()

    async def receive(self) -> bytes:
        data = await self.inbox.get()
        if isinstance(data, BaseException):
            raise data
        return data

    async def record(self, arrivals: list[tuple[float, str | bytes]], expected: int,
                     counter: Counter) -> None:
        """Keep every message from now on with its arrival time, until `expected` of them."""
        self.recording = (arrivals, expected, counter)
        await self.recorded

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class Counter:
    """Deliveries so far; wakes whoever waits for a total (closed-loop mode)."""

    def __init__(self) -> None:
        self.value = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def add(self) -> None:
        self.value += 1
        for target, waiter in list(self._waiters):
            if self.value >= target and not waiter.done():
                waiter.set_result(None)
                self._waiters.remove((target, waiter))

    async def reach(self, target: int, within: float) -> bool:
        if self.value >= target:
            return True
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        try:
            await asyncio.wait_for(waiter, within)
            return True
        except TimeoutError:
            return False


# ------------------------------------------------------------------ the run
