"""One query from its file: the request body, then validation, warm-up, load and solo runs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .common import _dumps, log
from .stats import Phase, fmt
from .target import Target

HERE = Path(__file__).resolve().parent.parent  # bench/, which holds queries/
QUERIES: dict[str, tuple[str, str]] = {  # name -> (file, key counted as "items")
    "nested": ("nested.graphql", "content"),
    "simple": ("simple.graphql", "slug"),
}


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
