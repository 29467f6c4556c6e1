"""System logs: what logging a warning costs the caller, how fast the background writer stores
records, and how long a full-text search over many log records takes.

    .venv/bin/python bench/system_log.py [--records 20000] [--rows 100000] [--data-dir DIR]

Starts its own embedded PostgreSQL in a temporary folder (or DIR), migrates it, and prints a
markdown table. The search runs the same statement as `search(types: [SYSTEM_LOG])` for a
superuser (resolvers/search/statements.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path

from app.embedded import EmbeddedServices
from db import migrate
from db.scope import Principal
from db.session import Database
from resolvers.search.statements import SYSTEM_LOG, prepare
from services.system_log import SystemLogWriter

WORDS = ("ingestion", "timeout", "worker", "redis", "reconnected", "document", "storage",
         "upload", "deployment", "replica", "failed", "slow", "request", "budget", "chunk")
# each of the 15 words is in 1/15 of the rows; each `job <hex>` token in exactly one
FILL_SQL = """
INSERT INTO system_logs (level, module, message, logger_name)
SELECT (ARRAY['WARNING','ERROR','CRITICAL'])[1 + i % 3], 'app.bench',
       'event ' || i || ': ' || ($1::text[])[1 + i % 15] || ' in job '
         || substr(md5(i::text), 1, 10) || ' after ' || (i % 997) || ' ms on worker ' || (i % 7),
       'aiplatform.bench'
FROM generate_series(1, $2::int) i"""
RARE = "substr(md5('4242'), 1, 10)"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(database_url: str, records: int, rows: int) -> list[tuple[str, str]]:
    db = Database(database_url)
    await db.connect()
    results = []
    logger = logging.getLogger("aiplatform.bench")
    writer = SystemLogWriter(db)
    writer.start()
    try:
        began = time.perf_counter()
        for i in range(records // 2):
            logger.warning("bench record %d: upload of %s failed after %d ms", i, "a.csv", i)
        plain = time.perf_counter()
        for i in range(records - records // 2):
            logger.warning("bench record %d: upload of %s failed with password=%s", i,
                           "a.csv", "hunter2")
        emitted = time.perf_counter()
        await writer.flush()
        done = time.perf_counter()
        results += [
            ("logger.warning() in the caller (format, enqueue), nothing to mask",
             f"{(plain - began) / (records // 2) * 1e6:.1f} µs per record"),
            ("logger.warning() in the caller, a `password=…` to mask",
             f"{(emitted - plain) / (records - records // 2) * 1e6:.1f} µs per record"),
            (f"background writer, {records:,} records in batches of ≤ 500",
             f"{records / (done - began):,.0f} records/s end to end"),
        ]
        await db.fetch("TRUNCATE system_logs")
        await db.fetch(FILL_SQL, list(WORDS), rows)
        await db.fetch("ANALYZE system_logs")
        rare = (await db.fetch(f"SELECT {RARE}"))[0][0]
        for label, query in (("a word in 1 of 15 records", "reconnected"),
                             ("a word in one record", rare),
                             ("its first 6 letters", rare[:6]),
                             ("no match", "zzqx")):
            prepared = prepare(SYSTEM_LOG, query, 21, Principal.superuser())
            assert prepared is not None
            sql, args = prepared
            await db.fetch(sql, *args)  # warm
            times = []
            for _ in range(20):
                t = time.perf_counter()
                await db.fetch(sql, *args)
                times.append((time.perf_counter() - t) * 1000)
            results.append((f"search over {rows:,} records: {label} ({query!r}), first 20",
                            f"p50 {statistics.median(times):.1f} ms, "
                            f"p95 {percentile(times, 95):.1f} ms"))
    finally:
        await writer.close()
        await db.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with EmbeddedServices(args.data_dir or Path(tmp), redis=False) as embedded:
            migrate.upgrade(embedded.database_url)
            results = asyncio.run(run(embedded.database_url, args.records, args.rows))
    print("| what | figure |\n|---|---|")
    for what, figure in results:
        print(f"| {what} | {figure} |")


if __name__ == "__main__":
    main()
