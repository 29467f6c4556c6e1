"""A scripted GB/T 27930 charging session between a BMS and a charger, as CAN frames, and the
logs python-can's own writers make of it (BLF, ASC) plus the CSV the analysis also reads.

The script: handshake (CHM/BHM every 250 ms for 1 s), recognition (CRM 0x00, BRM over TP.CM
RTS/CTS/TP.DT/EndOfMsgAck, CRM 0xAA), parameters (BCP over TP, CML, BRO, CRO), charging
(BCL and CCS every 50 ms, BCS over TP and BSM every 250 ms) with the voltage rising linearly
and the SOC with it, then the stop (BST, CST) and the statistics (BSD, CSD). Options break it
in the ways the analysis must notice.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import can

from services.charging.gbt27930 import BMS, BY_NAME, CHARGER, TP_CM, TP_DT

Frame = tuple[float, int, bytes]
T0 = 1_765_000_000.0  # the log's clock: BLF keeps absolute time


@dataclass
class Script:
    charge_seconds: float = 600.0
    current_a: float = 100.0
    volts_from: float = 380.0
    volts_to: float = 400.0
    soc_from: int = 30
    soc_to: int = 80
    stop: str = "soc"  # soc | insulation
    bcl_gap: tuple[float, float] | None = None  # seconds into charging with no BCL
    cem_bcl_at: float | None = None  # the charger reports a BCL timeout (CEM) then
    over_current: tuple[float, float] | None = None  # output 10 % above the request
    voltage_dip: tuple[float, float] | None = None  # output voltage 10 % down
    ripple: tuple[float, float] | None = None  # current ±20 % at 5 Hz
    handshake_only: bool = False  # the charger never recognises the BMS
    measurement_noise: float = 0.0  # standard deviation of the measured V and A
    jitter: float = 0.0  # each cyclic frame up to this many seconds late
    seed: int = 0


def encode(name: str, **values: float) -> bytes:
    """The payload of `name` with the given field values, through the same table the analysis
    decodes with (fields not given are 0xFF...)."""
    spec = BY_NAME[name]
    size = max([(f.start + f.bits + 7) // 8 for f in spec.fields] or [1])
    raw = (1 << size * 8) - 1
    for field in spec.fields:
        if field.name in values:
            value = round((values[field.name] - field.offset) / field.scale)
            mask = ((1 << field.bits) - 1) << field.start
            raw = raw & ~mask | (value << field.start) & mask
    return raw.to_bytes(size, "little")


def ident(name: str) -> int:
    spec = BY_NAME[name]
    destination = CHARGER if spec.sender == BMS else BMS
    return (spec.priority << 26) | (spec.pgn << 8) | (destination << 8) | spec.sender


def transfer(ts: float, sender: int, pgn: int, payload: bytes) -> list[Frame]:
    """A J1939-21 RTS/CTS transfer of `payload` from `sender`: RTS, CTS, the packets, ACK."""
    receiver = CHARGER if sender == BMS else BMS
    packets = math.ceil(len(payload) / 7)
    size = len(payload).to_bytes(2, "little")
    tag = pgn.to_bytes(3, "little")
    cm = (7 << 26) | (TP_CM << 8)
    out = [(ts, cm | receiver << 8 | sender, bytes([0x10, *size, packets, 0xFF, *tag])),
           (ts + 0.002, cm | sender << 8 | receiver, bytes([0x11, packets, 1, 0xFF, 0xFF, *tag]))]
    for n in range(packets):
        chunk = payload[n * 7:n * 7 + 7].ljust(7, b"\xff")
        out.append((ts + 0.004 + n * 0.001, (7 << 26) | (TP_DT << 8) | receiver << 8 | sender,
                    bytes([n + 1, *chunk])))
    out.append((ts + 0.01, cm | sender << 8 | receiver, bytes([0x13, *size, packets, 0xFF, *tag])))
    return out


def session(script: Script, t0: float = T0) -> Iterator[Frame]:
    """The session's frames in time order."""
    frames: list[Frame] = []
    for k in range(4):
        frames.append((t0 + k * 0.25, ident("CHM"), bytes([1, 1, 0])))
        frames.append((t0 + k * 0.25 + 0.1, ident("BHM"), encode("BHM", max_charge_voltage=750)))
    frames.append((t0 + 1.0, ident("CRM"), encode("CRM", recognition=0, charger_number=1,
                                                  region_code=0)))
    brm = encode("BRM", protocol_version=0x000101, battery_type=3, rated_capacity_ah=150,
                 rated_voltage=400).ljust(41, b"\xff")
    frames += transfer(t0 + 1.05, BMS, BY_NAME["BRM"].pgn, brm)
    if script.handshake_only:
        yield from sorted(frames)
        return
    frames.append((t0 + 1.3, ident("CRM"), encode("CRM", recognition=0xAA, charger_number=1,
                                                  region_code=0)))
    bcp = encode("BCP", max_cell_voltage=4.2, max_charge_current=250, nominal_energy_kwh=60,
                 max_charge_voltage=450, max_temperature_c=55, soc=script.soc_from,
                 battery_voltage=script.volts_from)
    frames += transfer(t0 + 1.5, BMS, BY_NAME["BCP"].pgn, bcp)
    frames.append((t0 + 1.6, ident("CML"), encode("CML", max_output_voltage=750,
                                                  min_output_voltage=200,
                                                  max_output_current=250,
                                                  min_output_current=0)))
    frames.append((t0 + 1.8, ident("BRO"), bytes([0xAA])))
    frames.append((t0 + 2.0, ident("CRO"), bytes([0xAA])))
    yield from sorted(frames)
    start = t0 + 2.0
    yield from _charging(script, start)
    end = start + script.charge_seconds
    yield from _stop(script, end)


def _charging(script: Script, start: float) -> Iterator[Frame]:
    ticks = round(script.charge_seconds / 0.05)
    rng = random.Random(script.seed)
    for k in range(ticks + 1):
        at = k * 0.05
        ts = start + at + (rng.uniform(0, script.jitter) if script.jitter else 0.0)
        share = at / script.charge_seconds
        volts = script.volts_from + (script.volts_to - script.volts_from) * share
        amps = script.current_a
        if _within(script.over_current, at):
            amps *= 1.1
        if _within(script.ripple, at):
            amps *= 1 + 0.2 * math.sin(2 * math.pi * 5 * at)
        if _within(script.voltage_dip, at):
            volts *= 0.9
        if script.measurement_noise:
            volts += rng.gauss(0, script.measurement_noise)
            amps += rng.gauss(0, script.measurement_noise)
        soc = script.soc_from + (script.soc_to - script.soc_from) * share
        batch: list[Frame] = []
        if script.cem_bcl_at is not None and k == round(script.cem_bcl_at / 0.05):
            batch.append((start + script.cem_bcl_at, ident("CEM"),
                          (1 << 18).to_bytes(4, "little")))  # byte 3, bits 3-4: BCL timeout
        if not _within(script.bcl_gap, at):
            batch.append((ts, ident("BCL"), encode("BCL", voltage_demand=script.volts_to + 20,
                                                   current_demand=-script.current_a, mode=2)))
        batch.append((ts + 0.005, ident("CCS"), encode(
            "CCS", output_voltage=volts, output_current=-amps, charging_minutes=at // 60,
            charging_allowed=1)))
        if k % 5 == 0:
            batch += transfer(ts + 0.01, BMS, BY_NAME["BCS"].pgn, encode(
                "BCS", measured_voltage=volts, measured_current=-amps, max_cell_voltage=4.0,
                soc=int(soc), remaining_minutes=30))
            batch.append((ts + 0.03, ident("BSM"), encode(
                "BSM", max_temperature_c=35, min_temperature_c=30, cell_voltage_state=0,
                soc_state=0, over_current=0, over_temperature=0, insulation=0, connector=0,
                charging_allowed=1)))
        yield from batch


def _stop(script: Script, end: float) -> Iterator[Frame]:
    bst = (1 << 8) if script.stop == "insulation" else 1  # 01 in the reason's 2-bit field
    for k in range(3):
        yield (end + 0.01 + k * 0.01, ident("BST"), bst.to_bytes(4, "little"))
    yield (end + 0.05, ident("CST"), (1 << 6).to_bytes(4, "little"))  # BMS_STOPPED
    soc_end = script.soc_to if script.stop == "soc" else script.soc_from + (
        script.soc_to - script.soc_from) // 2
    yield (end + 0.5, ident("BSD"), encode("BSD", soc=soc_end, min_cell_voltage=3.9,
                                           max_cell_voltage=4.0, min_temperature_c=30,
                                           max_temperature_c=35))
    yield (end + 0.6, ident("CSD"), encode("CSD", charging_minutes=script.charge_seconds // 60,
                                           output_energy_kwh=6.5, charger_number=1))


def _within(span: tuple[float, float] | None, at: float) -> bool:
    return span is not None and span[0] <= at < span[1]


def with_noise(frames: Iterator[Frame], every: int) -> Iterator[Frame]:
    """Other traffic on the same bus (11-bit ids, and J1939 frames between other nodes)."""
    for n, frame in enumerate(frames):
        yield frame
        if every and n % every == 0:
            yield (frame[0] + 0.0001, 0x123, bytes([n & 0xFF] * 8))
            yield (frame[0] + 0.0002, 0x18FEF100, bytes([(n >> 8) & 0xFF] * 8))


def messages(frames: Iterator[Frame]) -> Iterator[can.Message]:
    for ts, can_id, data in frames:
        yield can.Message(timestamp=ts, arbitration_id=can_id, is_extended_id=can_id > 0x7FF,
                          data=data)


def write_blf(path: Path, frames: Iterator[Frame]) -> Path:
    with can.BLFWriter(path) as writer:
        for message in messages(frames):
            writer.on_message_received(message)
    return path


def write_asc(path: Path, frames: Iterator[Frame]) -> Path:
    with can.ASCWriter(path) as writer:
        for message in messages(frames):
            writer.on_message_received(message)
    return path


def write_csv(path: Path, frames: Iterator[Frame]) -> Path:
    with path.open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["timestamp", "can_id", "data"])
        for ts, can_id, data in frames:
            rows.writerow([f"{ts:.6f}", f"{can_id:08X}", data.hex()])
    return path


WRITERS = {"blf": write_blf, "asc": write_asc, "csv": write_csv}
