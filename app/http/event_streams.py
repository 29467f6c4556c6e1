"""Subscriptions streamed as server-sent events, ended with a word when the server stops.

A websocket is closed with 1001 at the shutdown signal (app/shutdown.py); an SSE stream is an
HTTP response that would otherwise keep running until the grace period ran out, and then be
cut. Each stream is registered here while it runs; at the signal its sending is stopped and it
ends with a last `next` event carrying a SERVICE_UNAVAILABLE error and `complete`, so the
client knows to subscribe again (elsewhere).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import orjson
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

FAREWELL = (
    b"event: next\r\ndata: " + orjson.dumps({"errors": [{
        "message": "The server is shutting down: subscribe again",
        "extensions": {"code": "SERVICE_UNAVAILABLE"}}]})
    + b"\r\n\r\nevent: complete\r\ndata: \r\n\r\n")


def is_event_stream(response: Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


class OpenStreams:
    """The event streams this process is sending; `close_all` ends them at shutdown."""

    def __init__(self) -> None:
        self._enders: set[Callable[[], None]] = set()
        self.closing = False

    def __len__(self) -> int:
        return len(self._enders)

    def close_all(self) -> None:
        self.closing = True
        for end in list(self._enders):
            end()

    async def serve(self, response: Response, scope: Scope, receive: Receive,
                    send: Send) -> None:
        """Send `response`; if the server begins to stop meanwhile, end it with FAREWELL."""
        started = finished = False

        async def sending(message: Message) -> None:
            nonlocal started, finished
            started = started or message["type"] == "http.response.start"
            finished = finished or (message["type"] == "http.response.body"
                                    and not message.get("more_body", False))
            await send(message)

        streaming = asyncio.create_task(response(scope, receive, sending))
        ended = False

        def end() -> None:
            nonlocal ended
            ended = True
            streaming.cancel()

        if self.closing:
            end()
        self._enders.add(end)
        try:
            await asyncio.wait({streaming})
        except asyncio.CancelledError:
            streaming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await streaming
            raise
        finally:
            self._enders.discard(end)
        if not (ended and streaming.cancelled()):
            streaming.result()  # its error, if any, is the request's
            return
        if not started:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/event-stream")]})
        if not finished:
            await send({"type": "http.response.body", "body": FAREWELL, "more_body": False})
