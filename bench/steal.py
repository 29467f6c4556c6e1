"""CPU time the host took from this machine (steal) during each peerbench load.

This guest's CPUs are shared with other tenants: in a run where the host steals a share of
the server's CPU, that server's requests/s drop by as much, and peerbench's "busy per CPU"
does not show it (stolen time counts as idle). `bench/peerbench.sh` records /proc/stat while
peerbench runs and prints, per measured cell, the share of each CPU that was stolen:

    python bench/steal.py record SAMPLES        # until killed: one line per 0.5 s
    python bench/steal.py report SAMPLES LOG    # LOG: peerbench's output, each line
                                                # prefixed with its epoch time
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path


def _cpus() -> list[tuple[int, int]]:
    """(total, steal) jiffies per CPU."""
    found = []
    for line in Path("/proc/stat").read_text().splitlines():
        if re.match(r"cpu\d+ ", line):
            fields = [int(x) for x in line.split()[1:]]
            found.append((sum(fields[:8]), fields[7]))  # user … steal (guest is in user)
    return found


def record(path: str) -> None:
    with open(path, "w") as out:
        while True:
            cpus = _cpus()
            out.write(f"{time.time():.3f} " + " ".join(f"{t} {s}" for t, s in cpus) + "\n")
            out.flush()
            time.sleep(0.5)


def _share(samples: list[list[float]], start: float, end: float) -> list[float]:
    inside = [s for s in samples if start <= s[0] <= end]
    if len(inside) < 2:
        return []
    first, last = inside[0], inside[-1]
    shares = []
    for i in range(1, len(first), 2):
        total, steal = last[i] - first[i], last[i + 1] - first[i + 1]
        shares.append(steal / total if total else 0.0)
    return shares


def report(samples_path: str, log_path: str) -> None:
    samples = [[float(x) for x in line.split()]
               for line in Path(samples_path).read_text().splitlines() if line.strip()]
    started: dict[str, float] = {}
    rows = []
    for line in Path(log_path).read_text().splitlines():
        stamp, _, text = line.partition(" ")
        if m := re.search(r"\] (\S+): load \d+s", text):
            started[m.group(1)] = float(stamp)
        elif (m := re.search(r"\] (\S+): ([\d.]+) req/s", text)) and m.group(1) in started:
            shares = _share(samples, started.pop(m.group(1)), float(stamp))
            rows.append((m.group(1), m.group(2), shares))
    if not rows:
        return
    print("\n| cell | req/s | CPU stolen by the host: " + " / ".join(
        f"CPU {i}" for i in range(len(rows[0][2]))) + " |")
    print("|---|---:|---:|")
    for cell, rps, shares in rows:
        print(f"| {cell} | {rps} | " + " / ".join(f"{s:.0%}" for s in shares) + " |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["record"]:
        record(sys.argv[2])
    elif sys.argv[1:2] == ["report"]:
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
