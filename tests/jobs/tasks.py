"""Tasks the worker tests enqueue (AIPLATFORM_WORKER_IMPORT_PATHS=tests.jobs.tasks): each
run writes to a journal file, so a test sees which process started and finished what."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from services.jobs.queues import DATA_PROCESSING, MODEL_TRAINING
from services.jobs.registry import TaskSpec

RECORD, RECORD_TRAINING = "tests.record", "tests.record_training"


async def record(journal: str, seconds: float = 0, failures: int = 0) -> int:
    """`start <pid> <time>`, then fails while this is one of the first `failures` runs,
    else sleeps `seconds` and writes `end <pid> <time>`."""
    runs = await asyncio.to_thread(note, Path(journal), "start")
    if runs <= failures:
        raise RuntimeError(f"run {runs} fails on purpose")
    await asyncio.sleep(seconds)
    await asyncio.to_thread(note, Path(journal), "end")
    return runs


def note(path: Path, event: str) -> int:
    """Append `event <pid> <monotonic time>`; the number of runs started so far."""
    with path.open("a") as out:
        out.write(f"{event} {os.getpid()} {time.monotonic()}\n")
    return sum(line.startswith("start") for line in path.read_text().splitlines())


TASKS = (TaskSpec(RECORD, DATA_PROCESSING, record),
         TaskSpec(RECORD_TRAINING, MODEL_TRAINING, record))
