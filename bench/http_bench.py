#!/usr/bin/env python3
"""Closed-loop HTTP benchmark of a running GraphQL server (see bench/README.md).

For each query: one validation request, a warm-up, a measured run at fixed concurrency and a
one-client run, every response checked; prints a markdown table, exits 1 if anything was bad.
The client is a minimal HTTP/1.1 implementation on asyncio protocols (uvloop if installed):
one keep-alive connection per virtual client, the request bytes built once, responses counted
on the raw bytes, so the load generator costs little CPU next to the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import json
import math
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

try:
    import orjson

    def _loads(data: bytes | bytearray) -> Any:
        return orjson.loads(data)

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

except ImportError:  # pragma: no cover - orjson is a project dependency

    def _loads(data: bytes | bytearray) -> Any:
        return json.loads(data)

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


HERE = Path(__file__).resolve().parent
QUERIES: dict[str, tuple[str, str]] = {  # name -> (file, key counted as "items")
    "nested": ("nested.graphql", "content"),
    "simple": ("simple.graphql", "slug"),
}
HEAD_BUF = 16 * 1024  # first read of each response; bodies with a length go to their own buffer
MAX_HEAD_BYTES = 1024 * 1024  # a head not ended by then is an error
PREFIX_LEN = 32  # leading bytes every response must share with the validated one
MAX_SAMPLES = 3  # bad responses kept per phase for the report

perf_counter = time.perf_counter


def log(msg: str) -> None:
    """Progress to stderr (stdout carries the table only)."""
    print(f"[http_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- HTTP/1.1 client


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


# ---------------------------------------------------------------- load


@dataclass
class Phase:
    """Counters of one phase (warm-up, load or solo)."""

    name: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # responses completed in the window
    late: int = 0  # good responses that completed after the window (drain)
    bad: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    reconnects: int = 0
    cpu_s: float = 0.0  # this process's CPU time during the phase
    elapsed_s: float = 0.0  # until the last in-flight response was drained

    def add_bad(self, kind: str, detail: str) -> None:
        self.bad[kind] = self.bad.get(kind, 0) + 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"{kind}: {detail}")

    @property
    def n_bad(self) -> int:
        return sum(self.bad.values())

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        return {
            "clients": self.clients,
            "seconds": self.seconds,
            "requests": n,
            "req_per_s": n / self.seconds if self.seconds else None,
            "mean_ms": 1000 * sum(lat) / n if n else None,
            "p50_ms": pct(lat, 50),
            "p90_ms": pct(lat, 90),
            "p99_ms": pct(lat, 99),
            "max_ms": 1000 * lat[-1] if n else None,
            "late_responses": self.late,
            "bad": self.n_bad,
            "bad_by_kind": self.bad,
            "bad_samples": self.samples,
            "reconnects": self.reconnects,
            "client_cpu_s": round(self.cpu_s, 4),
            "client_cpu_ms_per_req": 1000 * self.cpu_s / (n + self.late) if n + self.late else None,
            "elapsed_s": round(self.elapsed_s, 4),
        }


def pct(sorted_s: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in ms."""
    if not sorted_s:
        return None
    return 1000 * sorted_s[max(0, math.ceil(p / 100 * len(sorted_s)) - 1)]


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


# ---------------------------------------------------------------- driver


def load_query(name: str, variables: dict[str, int]) -> tuple[bytes, dict[str, int], str]:
    """Request body for a query file: query, operationName, the variables it declares."""
    file, key = QUERIES[name]
    text = (HERE / "queries" / file).read_text()
    text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#")).strip()
    body: dict[str, Any] = {"query": text}
    m = re.search(r"\b(?:query|mutation)\s+(\w+)", text)
    if m:
        body["operationName"] = m.group(1)
    declared = set(re.findall(r"\$(\w+)\s*:", text))
    sent = {k: v for k, v in variables.items() if k in declared}
    if sent:
        body["variables"] = sent
    return _dumps(body), sent, key


def implied_items(name: str, v: dict[str, int]) -> int:
    """Item count the page sizes give when the data is big enough."""
    if name == "nested":
        return v["orgs"] * v["members"] * v["sessions"] * v["messages"]
    return v["limit"]


async def bench_query(name: str, args: argparse.Namespace, variables: dict[str, int],
                      headers: list[tuple[str, str]]) -> dict[str, Any]:
    """Validate, warm up, load, solo for one query; the figures as a dict."""
    body, sent, key = load_query(name, variables)
    implied = implied_items(name, sent)
    t = Target(args.url, headers, body, key, args.timeout)
    res: dict[str, Any] = {"query": name, "variables": sent, "item_key": key,
                           "request_bytes": len(body)}
    try:
        log(f"{name}: validating ({args.url})")
        v = await t.validate(implied)
        res["validation"] = v
        if "error" in v:
            log(f"{name}: FAILED validation: {v['error']}")
            res["failed"] = v["error"]
            return res
        note = "" if v["items"] == implied else f" (page sizes imply {implied}: data too small?)"
        log(f"{name}: valid, {v['items']} {key!r} items{note}, {v['resp_bytes']} bytes, "
            f"{v['latency_ms']:.1f} ms" + ("" if v["fast_count"] else "; parsing every response"))
        phases: list[Phase] = []
        for pname, clients, secs in (("warmup", args.concurrency, args.warmup),
                                     ("load", args.concurrency, args.duration),
                                     ("solo", 1, args.solo)):
            if secs <= 0:
                continue
            log(f"{name}: {pname}, {clients} client(s), {secs:g} s")
            ph = await t.run_phase(pname, clients, secs)
            phases.append(ph)
            s = ph.summary()
            res[pname] = s
            log(f"{name}: {pname}: {s['requests']} responses, "
                f"{(s['req_per_s'] or 0):.1f} req/s, p50 {fmt(s['p50_ms'], 2)} ms, "
                f"bad {s['bad']}" + (f" {s['bad_by_kind']}" if s["bad"] else ""))
            for smp in ph.samples:
                log(f"{name}: {pname}: bad response: {smp}")
        res["bad"] = sum(p.n_bad for p in phases)
    finally:
        t.close()
    return res


def fmt(x: float | None, nd: int = 1) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def table(results: list[dict[str, Any]]) -> str:
    """The markdown table of all queries."""
    out = ["| query | concurrency | requests | req/s | p50 ms | p99 ms | bad responses "
           "| items/resp | KB/resp | p50 ms @1 client |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for r in results:
        v = r.get("validation", {})
        if "failed" in r:
            out.append(f"| {r['query']} | | | FAILED | | | | {v.get('items', '')} | "
                       f"{fmt(v['resp_bytes'] / 1024) if 'resp_bytes' in v else ''} | |")
            notes.append(f"- {r['query']}: FAILED validation: {r['failed']}")
            continue
        ld, solo = r.get("load", {}), r.get("solo", {})
        items = str(v["items"])
        if v["items"] != v["items_implied"]:
            items += f" (< {v['items_implied']})"
        out.append(f"| {r['query']} | {ld.get('clients', '-')} | {ld.get('requests', '-')} | "
                   f"{fmt(ld.get('req_per_s'))} | {fmt(ld.get('p50_ms'))} | "
                   f"{fmt(ld.get('p99_ms'))} | {r['bad']} | {items} | "
                   f"{fmt(v['resp_bytes'] / 1024)} | {fmt(solo.get('p50_ms'), 2)} |")
        reopened = sum(r.get(p, {}).get("reconnects", 0) for p in ("warmup", "load", "solo"))
        if reopened:
            notes.append(f"- {r['query']}: {reopened} connections re-opened after the server "
                         "closed them (connect time is not in the latencies)")
        if ld:
            notes.append(f"- {r['query']}: load generator CPU "
                         f"{fmt(ld['client_cpu_ms_per_req'], 3)} ms/req "
                         f"({ld['client_cpu_s'] / ld['elapsed_s']:.2f} cores) at "
                         f"{ld['clients']} clients")
    return "\n".join(out + (["", *notes] if notes else []))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Closed-loop HTTP benchmark of a running GraphQL server (bench/README.md).")
    p.add_argument("--url", default="http://127.0.0.1:8000/graphql", help="GraphQL endpoint")
    p.add_argument("--query", choices=["nested", "simple", "all"], default="all")
    p.add_argument("--concurrency", type=int, default=16, help="clients of the load run")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of measured load")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up (0: none)")
    p.add_argument("--solo", type=float, default=5.0, help="seconds at 1 client (0: none)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument("--header", action="append", default=[], metavar="'Name: value'",
                   help="extra request header, repeatable (e.g. 'Authorization: Bearer …')")
    for name, default in (("orgs", 10), ("members", 10), ("sessions", 5), ("messages", 10),
                          ("limit", 20)):
        p.add_argument(f"--{name}", type=int, default=default, help=f"${name} (default {default})")
    p.add_argument("--login", metavar="LOGIN:PASSWORD",
                   help="log in first (logIn mutation) and send the access token, e.g. "
                        "root:secret for a superuser made with `aiplatform create-superuser`")
    p.add_argument("--json-out", type=Path, help="write all figures to this JSON file")
    a = p.parse_args(argv)
    if not 1 <= a.concurrency <= 1024:
        p.error("--concurrency must be 1..1024")
    for opt, hi in (("duration", 3600), ("warmup", 600), ("solo", 600), ("timeout", 600)):
        if not 0 <= getattr(a, opt) <= hi:
            p.error(f"--{opt} must be 0..{hi} seconds")
    if a.duration <= 0 or a.timeout <= 0:
        p.error("--duration and --timeout must be > 0")
    for opt in ("orgs", "members", "sessions", "messages", "limit"):
        if getattr(a, opt) < 1:
            p.error(f"--{opt} must be >= 1")
    return a


def parse_headers(raw: list[str]) -> list[tuple[str, str]]:
    out = []
    for h in raw:
        name, sep, value = h.partition(":")
        if not sep or not name.strip() or any(c in h for c in "\r\n"):
            raise SystemExit(f"http_bench: bad --header {h!r}, expected 'Name: value'")
        out.append((name.strip(), value.strip()))
    return out


def warn_if_remote(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        log(f"warning: {host!r} is not a loopback address; this tool is meant for a local server")


LOG_IN = ("mutation ($login: String!, $password: String!) { logIn(input: {login: $login, "
          "password: $password}) { accessToken userErrors { code message } } }")


def log_in(url: str, credentials: str) -> tuple[str, str]:
    """An Authorization header from the logIn mutation (one request, before any timing)."""
    import urllib.request

    login, _, password = credentials.partition(":")
    body = json.dumps({"query": LOG_IN, "variables": {"login": login, "password": password}})
    request = urllib.request.Request(url, data=body.encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    payload = (answer.get("data") or {}).get("logIn") or {}
    if not payload.get("accessToken"):
        raise SystemExit(f"http_bench: log-in failed: {answer}")
    return "Authorization", f"Bearer {payload['accessToken']}"


async def amain(args: argparse.Namespace) -> int:
    headers = parse_headers(args.header)
    warn_if_remote(args.url)
    if args.login:
        headers.append(log_in(args.url, args.login))
    variables = {k: getattr(args, k) for k in ("orgs", "members", "sessions", "messages", "limit")}
    names = ["nested", "simple"] if args.query == "all" else [args.query]
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results = [await bench_query(n, args, variables, headers) for n in names]
    print(table(results), flush=True)
    failed = any("failed" in r or r.get("bad") for r in results)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        meta = {"started": started, "url": args.url, "concurrency": args.concurrency,
                "warmup_s": args.warmup, "duration_s": args.duration, "solo_s": args.solo,
                "timeout_s": args.timeout, "header_names": [k for k, _ in headers],
                "python": platform.python_version(), "loop": type(asyncio.get_running_loop())
                .__module__, "host": platform.node(), "ok": not failed}
        args.json_out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
        log(f"figures written to {args.json_out}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        run = asyncio.run
    try:
        return run(amain(args))
    except KeyboardInterrupt:
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
