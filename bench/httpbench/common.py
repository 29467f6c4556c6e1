"""What every part shares: the JSON codec (orjson if installed), the clock, the progress log."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

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


perf_counter = time.perf_counter


def log(msg: str) -> None:
    """Progress to stderr (stdout carries the table only)."""
    print(f"[http_bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)
