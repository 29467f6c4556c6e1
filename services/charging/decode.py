"""From CAN frames to GB/T 27930 messages: identifier split, transport-protocol reassembly.

Only frames between the BMS (0xF4) and the charger (0x56), in either direction, are GB/T 27930
frames; everything else on the bus is counted and skipped. Messages longer than 8 bytes arrive
as a J1939-21 transfer: a TP.CM (RTS or BAM) announcing size, packet count and PGN, then TP.DT
packets numbered from 1, seven bytes each. A transfer is complete at its last packet; a new
announcement from the same sender replaces an unfinished one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.charging.gbt27930 import (
    BMS,
    BY_PGN,
    CHARGER,
    TP_BAM,
    TP_CM,
    TP_DT,
    TP_RTS,
    MessageSpec,
)

GBT_PAIRS = {(BMS, CHARGER), (CHARGER, BMS)}  # (source, destination)
GBT_ADDRESSES = {CHARGER << 8 | BMS, BMS << 8 | CHARGER}  # the identifiers' low 16 bits


def split_id(can_id: int) -> tuple[int, int, int, int]:
    """(priority, PGN, destination, source) of a 29-bit J1939 identifier (PDU1 and PDU2)."""
    pf = (can_id >> 16) & 0xFF
    ps = (can_id >> 8) & 0xFF
    pgn = (can_id >> 8) & 0x3FF00 if pf < 240 else (can_id >> 8) & 0x3FFFF
    return (can_id >> 26) & 0x7, pgn, ps if pf < 240 else 0xFF, can_id & 0xFF


@dataclass(slots=True)
class _Transfer:
    pgn: int
    size: int
    packets: int
    parts: list[bytes] = field(default_factory=list)


class Decoder:
    """Feed frames in log order; each GB/T 27930 message comes back once complete."""

    def __init__(self) -> None:
        self.gbt_frames = 0
        self.other_frames = 0
        self.broken_transfers = 0
        self._transfers: dict[int, _Transfer] = {}  # by source address

    def feed(self, can_id: int, data: bytes) -> tuple[MessageSpec, bytes] | None:
        source = can_id & 0xFF
        destination = (can_id >> 8) & 0xFF
        pf = (can_id >> 16) & 0xFF
        if (source, destination) not in GBT_PAIRS or pf >= 240:
            self.other_frames += 1
            return None
        self.gbt_frames += 1
        pgn = pf << 8
        if pgn == TP_DT:
            return self._packet(source, data)
        if pgn == TP_CM:
            self._announce(source, data)
            return None
        spec = BY_PGN.get(pgn)
        return None if spec is None else (spec, bytes(data))

    def _announce(self, source: int, data: bytes) -> None:
        if len(data) < 8 or data[0] not in (TP_RTS, TP_BAM):
            return  # CTS, EndOfMsgAck and Abort carry nothing to decode
        if source in self._transfers:
            self.broken_transfers += 1
        self._transfers[source] = _Transfer(
            pgn=int.from_bytes(data[5:8], "little"), size=int.from_bytes(data[1:3], "little"),
            packets=data[3])

    def _packet(self, source: int, data: bytes) -> tuple[MessageSpec, bytes] | None:
        transfer = self._transfers.get(source)
        if transfer is None or not data:
            return None
        if data[0] != len(transfer.parts) + 1:  # lost or repeated packet: drop the transfer
            del self._transfers[source]
            self.broken_transfers += 1
            return None
        transfer.parts.append(bytes(data[1:8]))
        if len(transfer.parts) < transfer.packets:
            return None
        del self._transfers[source]
        spec = BY_PGN.get(transfer.pgn)
        return None if spec is None else (spec, b"".join(transfer.parts)[:transfer.size])
