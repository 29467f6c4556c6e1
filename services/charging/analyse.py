"""A charging log from file to findings, synchronously (the job runs it in a thread).

The frames stream through the decoder into the session: memory stays flat whatever the log's
size. A log without a single GB/T 27930 frame is not a charging log (LogError, the job fails);
one with GB/T 27930 frames but no handshake completes with a NO_SESSION fault.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.charging.decode import GBT_ADDRESSES, Decoder
from services.charging.findings import Finding, findings_of, no_session
from services.charging.frames import LogError, open_counting, read_frames
from services.charging.session import Session


class Cancelled(Exception):
    """The job was cancelled while its log was being read."""


@dataclass
class Outcome:
    result_data: dict[str, Any]
    findings: list[Finding]


class Reading:
    """Where a running analysis is (bytes read of the file), readable from another thread, and
    a flag that stops it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.bytes_read = 0
        self.stop = threading.Event()

    @property
    def fraction(self) -> float:
        return min(self.bytes_read / self.size, 1.0) if self.size else 0.0


def analyse(path: Path, fmt: str, reading: Reading | None = None) -> Outcome:
    """Raises LogError for a file that is not a readable CAN log, Cancelled when stopped."""
    decoder, session, frames = Decoder(), Session(), 0
    feed, add = decoder.feed, session.add
    with open_counting(path) as counter:
        for frames, (ts, can_id, data) in enumerate(read_frames(path, fmt, counter), start=1):
            if can_id & 0xFFFF in GBT_ADDRESSES:  # the rest of the bus, skipped cheaply
                message = feed(can_id, data)
                if message is not None:
                    add(ts, *message)
            else:
                decoder.other_frames += 1
            if reading is not None and not frames & 0x3FFF:
                reading.bytes_read = counter.count
                if reading.stop.is_set():
                    raise Cancelled
        if reading is not None:
            reading.bytes_read = counter.count
    if frames == 0:
        raise LogError(f"no CAN frames in this {fmt.upper()} file: it is empty or not a "
                       f"{fmt.upper()} log")
    if decoder.gbt_frames == 0:
        raise LogError(f"not a GB/T 27930 charging log: none of its {frames} frames passes "
                       "between a BMS (0xF4) and a charger (0x56)")
    counts = {"framesRead": frames, "gbtFrames": decoder.gbt_frames,
              "brokenTransfers": decoder.broken_transfers}
    if not session.found:
        return Outcome({**counts, "sessionFound": False},
                       [no_session(frames, decoder.gbt_frames)])
    session.finish()
    return Outcome({**session.summary(), **counts, "sessionFound": True}, findings_of(session))
