"""The HTTP/1.1 client: one keep-alive connection per virtual client on asyncio protocols."""

from __future__ import annotations

import asyncio
from typing import cast

from .common import perf_counter

HEAD_BUF = 16 * 1024  # first read of each response; bodies with a length go to their own buffer
MAX_HEAD_BYTES = 1024 * 1024  # a head not ended by then is an error


class HTTPError(Exception):
    """A response that could not be read: malformed, connection lost or timed out."""


class Conn(asyncio.BufferedProtocol):
    """One keep-alive HTTP/1.1 connection; one request in flight at a time.

    A BufferedProtocol: the transport reads a Content-Length body straight into a bytearray of
    that size, reused while the size repeats, so a response costs no copy in Python.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.fut: asyncio.Future[tuple[int, bytearray, int, int]] | None = None
        self.closed = False
        self.failed = False  # closed by us after an error or timeout
        self.will_close = False  # server sent "Connection: close"
        self.completed = 0  # responses read on this connection
        self.t_sent = 0.0
        self.t_done = 0.0
        self.head = bytearray(HEAD_BUF)  # status line and headers (and non-sized bodies)
        self.body = bytearray()  # Content-Length body, reused
        self._reset()

    def _reset(self) -> None:
        self.hn = 0  # bytes in self.head
        self.bn = 0  # bytes in self.body
        self.in_body = False  # reading a Content-Length body into self.body
        self.got_bytes = 0
        self.hdr_end = -1
        self.status = 0
        self.clen = -1
        self.chunked = False
        self.cbody = bytearray()  # chunked bodies
        self.cpos = 0
        self.csize = -1

    # -- asyncio.BufferedProtocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.in_body:
            return memoryview(self.body)[self.bn :]
        if len(self.head) - self.hn < HEAD_BUF // 4:
            self.head.extend(bytes(len(self.head)))
        return memoryview(self.head)[self.hn :]

    def buffer_updated(self, nbytes: int) -> None:
        self.got_bytes += nbytes
        if self.fut is None or self.fut.done():
            self._fail(HTTPError("unsolicited data"))
            return
        try:
            if self.in_body:
                self.bn += nbytes
                if self.bn == self.clen:
                    self._finish(self.body, 0, self.clen)
                return
            old, self.hn = self.hn, self.hn + nbytes
            if self.hdr_end < 0:
                if len(self.head) > MAX_HEAD_BYTES:
                    raise HTTPError("response head too large")
                if not self._parse_head(max(0, old - 3)):
                    return
                if not self.chunked and self.clen >= 0:
                    self._start_body()
                    return
            if self.chunked and self._parse_chunked():
                self._finish(self.cbody, 0, len(self.cbody))
            # else: no length given, the body ends when the server closes
        except (ValueError, HTTPError) as e:
            self._fail(HTTPError(f"bad response: {e}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        fut = self.fut
        if fut is None or fut.done():
            return
        if self.hdr_end >= 0 and self.clen < 0 and not self.chunked:  # body ends at close
            self._finish(self.head, self.hdr_end, self.hn)
        else:
            fut.set_exception(HTTPError(f"connection lost ({exc or 'closed by server'})"))

    # -- parsing
    def _parse_head(self, start: int) -> bool:
        i = self.head.find(b"\r\n\r\n", start, self.hn)
        if i < 0:
            return False
        lines = bytes(self.head[:i]).split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HTTPError(f"bad status line {lines[0][:80]!r}")
        self.status = int(parts[1])
        if 100 <= self.status < 200:  # interim response: drop it, wait for the final one
            del self.head[: i + 4]
            self.head.extend(bytes(i + 4))
            self.hn -= i + 4
            return self._parse_head(0)
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                self.clen = int(value)
            elif name == b"transfer-encoding":
                self.chunked = b"chunked" in value.lower()
            elif name == b"connection":
                self.will_close = b"close" in value.lower()
        if self.chunked:
            self.clen = -1
        self.hdr_end = self.cpos = i + 4
        return True

    def _start_body(self) -> None:
        """Move the body bytes read with the head into self.body; read the rest there."""
        got = self.hn - self.hdr_end
        if got > self.clen:
            raise HTTPError(f"{got - self.clen} bytes beyond Content-Length")
        if len(self.body) != self.clen:
            self.body = bytearray(self.clen)
        self.body[:got] = self.head[self.hdr_end : self.hn]
        self.bn = got
        if got == self.clen:
            self._finish(self.body, 0, self.clen)
        else:
            self.in_body = True

    def _parse_chunked(self) -> bool:
        """Consume whole chunks from the head buffer; True once the last chunk is in."""
        buf, pos, n = self.head, self.cpos, self.hn
        while True:
            if self.csize < 0:  # expecting a chunk-size line
                i = buf.find(b"\r\n", pos, n)
                if i < 0:
                    break
                self.csize = int(bytes(buf[pos:i]).split(b";", 1)[0], 16)
                pos = i + 2
            if self.csize == 0:  # last chunk: then optional trailers and an empty line
                return buf[pos : pos + 2] == b"\r\n" or buf.find(b"\r\n\r\n", pos, n) >= 0
            if n < pos + self.csize + 2:
                break
            self.cbody += buf[pos : pos + self.csize]
            pos += self.csize + 2
            self.csize = -1
        self.cpos = pos
        return False

    def _finish(self, buf: bytearray, a: int, b: int) -> None:
        self.t_done = perf_counter()
        self.completed += 1
        self.in_body = False
        fut, self.fut = self.fut, None
        assert fut is not None
        fut.set_result((self.status, buf, a, b))
        if self.will_close and self.transport is not None:
            self.transport.close()
            self.closed = True

    def _fail(self, exc: Exception) -> None:
        if self.fut is not None and not self.fut.done():
            self.fut.set_exception(exc)
        self.close()

    # -- API
    def request(self, req: bytes) -> asyncio.Future[tuple[int, bytearray, int, int]]:
        """Send the pre-built request; the future gives (status, buffer, body start, body end).

        The buffer is the connection's own: valid until the next request on it.
        """
        self._reset()
        if self.transport is None or self.closed or self.transport.is_closing():
            raise HTTPError("connection lost (closed before the request)")
        self.fut = self.loop.create_future()
        self.t_sent = perf_counter()
        self.transport.write(req)
        return self.fut

    def expire(self, now: float, timeout: float) -> None:
        """Fail the request in flight if it has waited longer than `timeout` seconds."""
        if self.fut is not None and not self.fut.done() and now - self.t_sent > timeout:
            self._fail(HTTPError(f"timeout after {timeout:g} s"))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
