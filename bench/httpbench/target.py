"""A server URL plus one query: the pre-built request, its connections, the response checks and
the closed-loop phases."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .client import Conn, HTTPError
from .common import _loads, perf_counter
from .stats import Phase

PREFIX_LEN = 32  # leading bytes every response must share with the validated one


@dataclass
class Expect:
    """What every response must look like, from the validated one."""

    length: int
    body: bytes  # the validated body: an identical response needs no other check
    prefix: bytes
    key_pat: bytes  # b'"content":'
    items: int
    fast_count: bool  # raw byte count of key_pat equals the parsed count


def count_key(node: Any, key: str) -> int:
    """Number of JSON objects under `node` that have `key`."""
    if isinstance(node, dict):
        return (key in node) + sum(count_key(v, key) for v in node.values())
    if isinstance(node, list):
        return sum(count_key(v, key) for v in node)
    return 0


class Target:
    """A server URL plus one query: the pre-built request, connections and checks."""

    def __init__(self, url: str, headers: list[tuple[str, str]], body: bytes, key: str,
                 timeout: float) -> None:
        u = urlsplit(url)
        if u.scheme != "http" or not u.hostname:
            raise SystemExit(f"http_bench: only http:// URLs are supported, got {url!r}")
        self.host, self.port = u.hostname, u.port or 80
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        host_hdr = u.netloc.rpartition("@")[2]
        head = [f"POST {path} HTTP/1.1", f"Host: {host_hdr}", "Content-Type: application/json",
                "Accept: application/json", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers]
        self.req = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        self.key = key
        self.timeout = timeout
        self.conns: list[Conn] = []
        self.expect: Expect | None = None

    async def connect(self) -> Conn:
        """A new connection (asyncio and uvloop set TCP_NODELAY on TCP transports)."""
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(
            loop.create_connection(lambda: Conn(loop), self.host, self.port), self.timeout)
        return conn

    async def validate(self, implied: int) -> dict[str, Any]:
        """One request; checks it and sets the expectations for all later responses."""
        r: dict[str, Any] = {"items_implied": implied}
        conn: Conn | None = None
        try:
            conn = await self.connect()
            status, buf, a, b = await asyncio.wait_for(conn.request(self.req), self.timeout)
        except (OSError, HTTPError, TimeoutError) as e:
            if conn is not None:
                conn.close()
            r["error"] = f"request failed: {e!r}"
            return r
        self.conns.append(conn)
        body = bytes(buf[a:b])
        r.update(status=status, resp_bytes=len(body), latency_ms=1000 * (conn.t_done - conn.t_sent))
        try:
            doc = _loads(body)
        except ValueError:
            r["error"] = f"HTTP {status}, not JSON: {body[:200]!r}"
            return r
        if status != 200:
            r["error"] = f"HTTP {status}: {body[:300]!r}"
        elif not isinstance(doc, dict) or "errors" in doc:
            err = doc.get("errors") if isinstance(doc, dict) else doc
            r["error"] = "GraphQL errors: " + json.dumps(err)[:400]
        elif doc.get("data") is None:
            r["error"] = f"no data: {body[:300]!r}"
        if "error" in r:
            return r
        items = count_key(doc["data"], self.key)
        r["items"] = items
        if items == 0:
            r["error"] = f"no {self.key!r} items in the response: {body[:300]!r}"
        elif items > implied:
            r["error"] = f"{items} {self.key!r} items, more than the page sizes allow ({implied})"
        if "error" in r:
            return r
        key_pat = f'"{self.key}":'.encode()
        fast = body.count(key_pat) == items
        self.expect = Expect(len(body), body, body[:PREFIX_LEN], key_pat, items, fast)
        r["fast_count"] = fast
        return r

    def check(self, ph: Phase, status: int, buf: bytearray, a: int, b: int) -> bool:
        """Whether a response matches the validated one; counts it as bad if not."""
        ex = self.expect
        assert ex is not None
        if status != 200:
            ph.add_bad("status", f"HTTP {status}: {bytes(buf[a:min(b, a + 200)])!r}")
            return False
        if b - a != ex.length:
            ph.add_bad("length", f"{b - a} bytes, expected {ex.length}: "
                                 f"{bytes(buf[a:min(b, a + 200)])!r}")
            return False
        if a == 0 and b == len(buf) and buf == ex.body:  # memcmp: same bytes, same items
            return True
        if buf[a:a + PREFIX_LEN] != ex.prefix:
            ph.add_bad("prefix", f"starts {bytes(buf[a:a + 80])!r}")
            return False
        if ex.fast_count:
            items = buf.count(ex.key_pat, a, b)
        else:
            try:
                doc = _loads(bytes(buf[a:b]))
                items = count_key(doc.get("data"), self.key) if "errors" not in doc else -1
            except (ValueError, AttributeError):
                items = -1
        if items != ex.items:
            ph.add_bad("items", f"{items} {self.key!r} items, expected {ex.items}")
            return False
        return True

    async def _client(self, i: int, ph: Phase, end: float) -> None:
        """Closed loop on connection i: next request as soon as the previous answer is in."""
        while perf_counter() < end:
            conn = self.conns[i] if i < len(self.conns) else None
            if conn is None or conn.closed:
                try:
                    new = await self.connect()
                except (OSError, TimeoutError) as e:
                    ph.add_bad("connect", repr(e))
                    await asyncio.sleep(0.2)  # bounds the count while the server is down
                    continue
                if conn is not None and not conn.failed:
                    ph.reconnects += 1  # the server closed it cleanly
                if i < len(self.conns):
                    self.conns[i] = new
                else:
                    self.conns.append(new)
                conn = new
            idle = conn.completed > 0 and perf_counter() - conn.t_done > 1.0
            try:
                status, buf, a, b = await conn.request(self.req)
            except HTTPError as e:
                conn.close()
                if idle and conn.got_bytes == 0 and "connection lost" in str(e):
                    continue  # an idle keep-alive connection the server just closed: retry
                conn.failed = True
                ph.add_bad("timeout" if "timeout" in str(e) else "connection", str(e))
                continue
            if self.check(ph, status, buf, a, b):
                if conn.t_done <= end:
                    ph.latencies.append(conn.t_done - conn.t_sent)
                else:
                    ph.late += 1

    async def run_phase(self, name: str, clients: int, seconds: float) -> Phase:
        """`clients` closed-loop clients for `seconds`; waits for every answer in flight."""
        ph = Phase(name, clients, seconds)
        while len(self.conns) > clients:  # solo: drop the extra idle connections
            self.conns.pop().close()
        gc.collect()
        gc.disable()
        cpu0, t0 = time.process_time(), perf_counter()
        end = t0 + seconds
        watchdog = asyncio.create_task(self._watchdog())
        try:
            await asyncio.gather(*(self._client(i, ph, end) for i in range(clients)))
        finally:
            watchdog.cancel()
            gc.enable()
        ph.elapsed_s = perf_counter() - t0
        ph.cpu_s = time.process_time() - cpu0
        return ph

    async def _watchdog(self) -> None:
        while True:
            await asyncio.sleep(min(0.5, self.timeout / 4))
            now = perf_counter()
            for c in self.conns:
                c.expire(now, self.timeout)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.conns.clear()
