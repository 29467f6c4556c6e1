"""Graceful shutdown: at the signal, before uvicorn acts on it, every open GraphQL socket is
closed with 1001 (going away) and every subscription streamed as server-sent events ends with a
SERVICE_UNAVAILABLE event, so clients reconnect elsewhere, and the grace period
(`AIPLATFORM_SHUTDOWN_GRACE_SECONDS`) starts; uvicorn then stops accepting and lets in-flight
requests finish within it, and the lifespan gives running chat replies what is left of it."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from app.http.event_streams import OpenStreams
from app.http.websockets import OpenSockets

log = logging.getLogger("aiplatform")

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)
Handler = Callable[[int, FrameType | None], object]


class GracefulShutdown:
    """The grace period of this process's shutdown, counted from the shutdown signal."""

    def __init__(self, grace: float, sockets: OpenSockets, streams: OpenStreams) -> None:
        self.grace = grace
        self.sockets = sockets
        self.streams = streams
        self.deadline: float | None = None  # loop time; None until the signal
        self._signalled = False
        self._began: asyncio.Task[None] | None = None  # referenced while it runs

    def remaining(self) -> float:
        """What is left of the grace period; none without a signal (an app embedding this
        one left the lifespan, or the server stopped on its own): replies are cancelled."""
        if self.deadline is None:
            return 0
        return max(0.0, self.deadline - asyncio.get_running_loop().time())

    async def begin(self, server_handler: Handler, sig: int) -> None:
        self.deadline = asyncio.get_running_loop().time() + self.grace
        log.info("shutting down: closing %d websockets and %d event streams, %g s for "
                 "requests and replies", len(self.sockets), len(self.streams), self.grace)
        try:
            self.streams.close_all()
            await self.sockets.close_all()
        finally:
            server_handler(sig, None)  # now uvicorn stops accepting and waits for requests

    @contextmanager
    def on_signals(self) -> Iterator[None]:
        """Wrap the server's handlers of SIGTERM and SIGINT: the first signal begins the
        shutdown here and then reaches the server's handler; a second one (Ctrl-C twice:
        quit now) reaches it at once. uvicorn handles them with `signal.signal` in the main
        thread and closes the sockets itself with 1012 as soon as it sees one, hence the
        wrapper. Where no handler is installed (a test's lifespan) nothing changes."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        handlers = {sig: h for sig in SHUTDOWN_SIGNALS
                    if callable(h := signal.getsignal(sig)) and h is not signal.default_int_handler}

        def start(sig: int) -> None:
            self._began = loop.create_task(self.begin(handlers[sig], sig))

        def on_signal(sig: int, frame: FrameType | None) -> None:
            if self._signalled:
                handlers[sig](sig, frame)
                return
            self._signalled = True
            loop.call_soon_threadsafe(start, sig)  # wakes the loop, as the signal may not

        wrapped = {sig: signal.signal(sig, on_signal) for sig in handlers}
        try:
            yield
        finally:
            for sig, handler in wrapped.items():
                if signal.getsignal(sig) is on_signal:
                    signal.signal(sig, handler)
