#!/usr/bin/env python3
"""Charging-log benchmark: how long the analysis takes over a large BLF, and its memory.

    python -m bench.charging_bench [--size-mb 100] [--log PATH] [--regenerate]

(from the repository root, which puts `services` and `tests` on the path).

The log (kept at `--log`, written once and reused) is one scripted GB/T 27930 session
(tests/analysis/gbt_simulator.py: handshake, recognition over TP, parameters, BCL/CCS every
50 ms, BCS over TP and BSM every 250 ms, BST/CST, BSD/CSD) with measurement noise on the
charger's output (standard deviation 0.3 A and 0.3 V) and up to 2 ms of timing jitter, on a
bus that also carries other ECUs' traffic (29-bit J1939 and 11-bit frames, 8 varying bytes
each, 600 frames/s in all), written by python-can's BLFWriter with its default zlib
compression. The session's length is chosen from a one-minute sample so that the file comes
to about `--size-mb`.

Timed (wall and this process's CPU time; on a shared machine the wall time grows with the
load average, the CPU time much less): `services.charging.analyse.analyse` on the file, the
whole job's work but its database writes (a handful of rows): python-can's BLFReader
streaming the frames, the GB/T 27930 decoding and TP reassembly, the session and its
findings. Printed: wall and CPU time, frames/s, MB/s, the load average before and after,
and the process's peak RSS before and after (frames stream: memory must stay flat).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from services.charging.analyse import Reading, analyse
from tests.analysis.gbt_simulator import Frame, Script, session, write_blf

BUS_IDS = (0x0CF00400, 0x18FEF100, 0x18FEEE00, 0x18F0010B, 0x1A0, 0x2B0, 0x3C4)
BUS_RATE = 600.0  # other frames per second


def with_bus_traffic(frames: Iterator[Frame], seed: int = 1) -> Iterator[Frame]:
    rng = random.Random(seed)
    next_at: float | None = None
    for frame in frames:
        if next_at is None:
            next_at = frame[0]
        while next_at < frame[0]:
            yield (next_at, rng.choice(BUS_IDS), rng.randbytes(8))
            next_at += rng.expovariate(BUS_RATE)
        yield frame


def script(seconds: float) -> Script:
    return Script(charge_seconds=seconds, measurement_noise=0.3, jitter=0.002)


def generate(path: Path, size_mb: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        sample = write_blf(Path(folder) / "sample.blf", with_bus_traffic(session(script(60))))
        per_second = sample.stat().st_size / 62.6
    seconds = round(size_mb * 1e6 / per_second)
    print(f"generating {path}: a {seconds} s session ({seconds / 3600:.1f} h) ...", flush=True)
    began = time.perf_counter()
    write_blf(path, with_bus_traffic(session(script(seconds))))
    print(f"  {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - began:.0f} s")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) /
                        "charging-bench.blf")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    if args.regenerate or not args.log.exists():
        generate(args.log, args.size_mb)
    size = args.log.stat().st_size
    rss_before = peak_rss_mb()
    load = os.getloadavg()[0]
    began, cpu = time.perf_counter(), time.process_time()
    outcome = analyse(args.log, "blf", Reading(size))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    data = outcome.result_data
    frames = data["framesRead"]
    print(f"{size / 1e6:.1f} MB, {frames:,} frames ({data['gbtFrames']:,} GB/T 27930): "
          f"{seconds:.1f} s wall ({cpu:.1f} s CPU), {frames / seconds:,.0f} frames/s, "
          f"{size / 1e6 / seconds:.2f} MB/s; load average {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}; peak RSS {rss_before:.0f} MB before, "
          f"{peak_rss_mb():.0f} MB after")
    print(f"session: {data['durationSeconds']} s, {data['energyKwh']} kWh, stop "
          f"{data['stopInitiator']} {data['stopReasons']}; findings "
          f"{[f.code for f in outcome.findings]}")


if __name__ == "__main__":
    main()
