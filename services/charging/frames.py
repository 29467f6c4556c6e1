"""Reading CAN frames from a log file, one at a time: BLF and ASC through python-can's readers,
CSV (`timestamp, can_id, data`) through the csv module.

Frames stream: nothing holds the whole log, so a log of any size reads in constant memory.
A frame is (timestamp in seconds on the log's clock, 29- or 11-bit identifier, payload).
Reading counts the bytes consumed, which is the job's progress.
"""

from __future__ import annotations

import csv
import io
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import can

FORMATS = ("blf", "asc", "csv")


Frame = tuple[float, int, bytes]  # plain tuples: one is made per frame of the log


class LogError(Exception):
    """The file is not a readable CAN log; the message says why, for the job's errorMessage."""


class CountingFile(io.RawIOBase):
    """A binary file that counts the bytes read from it (the reader's progress)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n  # type: ignore[no-any-return]

    def close(self) -> None:
        self.raw.close()
        super().close()


def file_format(file_type: str | None, filename: str | None) -> str:
    """`blf`, `asc` or `csv` from the job's file type or the file's extension (BLF if neither
    says: the format charging loggers write by default)."""
    for hint in (file_type, Path(filename or "").suffix.lstrip(".")):
        name = (hint or "").lower().rsplit("/", 1)[-1]
        for known in FORMATS:
            if name == known or name.endswith(known):
                return known
    return "blf"


def read_frames(path: Path, fmt: str, counter: CountingFile) -> Iterator[Frame]:
    """The frames of the log at `path` (opened as `counter`), in file order. Raises LogError."""
    if fmt == "blf":
        return _blf(path, counter)
    if fmt == "asc":
        return _asc(counter)
    if fmt == "csv":
        return _csv(counter)
    raise LogError(f"unknown log format {fmt!r}: use blf, asc or csv")


def open_counting(path: Path) -> CountingFile:
    return CountingFile(path.open("rb", buffering=0))  # type: ignore[arg-type]


def _blf(path: Path, counter: CountingFile) -> Iterator[Frame]:
    buffered = io.BufferedReader(counter, 1 << 20)
    try:
        reader = can.BLFReader(buffered)
    except (can.io.blf.BLFParseError, struct.error):
        raise LogError("not a BLF file: it does not start with a BLF header") from None
    actual = os.path.getsize(path)
    if reader.file_size and actual < reader.file_size:
        raise LogError(f"the BLF file is truncated: its header says {reader.file_size} bytes, "
                       f"{actual} are present")
    try:
        for msg in reader:
            if not (msg.is_error_frame or msg.is_remote_frame):
                yield (msg.timestamp, msg.arbitration_id, msg.data)
    except (can.io.blf.BLFParseError, struct.error, zlib.error):
        raise LogError(f"the BLF file is damaged or truncated after {counter.count} "
                       "bytes") from None


def _asc(counter: CountingFile) -> Iterator[Frame]:
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 20), encoding="utf-8",
                            errors="replace")
    try:
        for msg in can.ASCReader(text):
            if not (msg.is_error_frame or msg.is_remote_frame):
                yield (msg.timestamp, msg.arbitration_id, msg.data)
    except (ValueError, IndexError) as error:
        raise LogError(f"not a readable ASC log: {error}") from None


def _csv(counter: CountingFile) -> Iterator[Frame]:
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 20), encoding="utf-8",
                            errors="replace", newline="")
    rows = csv.reader(text)
    header = [h.strip().lower() for h in next(rows, [])]
    try:
        ts, cid, data = (header.index(c) for c in ("timestamp", "can_id", "data"))
    except ValueError:
        raise LogError("not a CSV of CAN frames: the header must name timestamp, can_id and "
                       "data") from None
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        try:
            yield (float(row[ts]), int(row[cid].strip(), 16),
                   bytes.fromhex(row[data].replace(" ", "")))
        except (ValueError, IndexError):
            raise LogError(f"CSV line {line}: expected a timestamp in seconds, a hexadecimal "
                           "can_id and hexadecimal data bytes") from None
