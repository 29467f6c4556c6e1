"""Command line: options, the optional log-in, the run of every query, the printed table."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import platform
import time
from pathlib import Path
from urllib.parse import urlsplit

from .common import log
from .run import bench_query
from .stats import table


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
