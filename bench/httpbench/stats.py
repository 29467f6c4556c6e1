"""Counters of a phase, nearest-rank percentiles and the markdown table of the results."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_SAMPLES = 3  # bad responses kept per phase for the report


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
