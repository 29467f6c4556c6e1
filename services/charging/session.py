"""One charging session, followed message by message: stages, measurements and what went wrong.

`Session.add` takes each decoded GB/T 27930 message in log order and keeps running figures
only (peaks, an energy integral, the open gap or episode), so a session of any length costs
constant memory. `Session.summary()` gives the job's `resultData`; `findings.py` turns what was
noted into result rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.charging.gbt27930 import (
    BEM_TIMEOUTS,
    BST_REASONS,
    BY_NAME,
    CEM_TIMEOUTS,
    CST_REASONS,
    CYCLIC,
    MESSAGES,
    PHASES,
    REACTIONS,
    READY,
    RECOGNISED,
    MessageSpec,
    Reason,
    decode_fields,
    reasons_set,
    timeouts_set,
)
from services.charging.signals import OverRequest, RippleWindows, VoltageDips

MAX_EVIDENCE = 20  # timestamps kept per finding
MAX_INTEGRATION_STEP = 5.0  # s: a longer silence between CCS frames adds no energy
CHARGING, STATISTICS = PHASES.index("charging"), PHASES.index("statistics")


@dataclass
class Stop:
    initiator: str  # BMS or CHARGER
    timestamp: float
    reasons: list[Reason]


@dataclass
class Session:
    started: float | None = None
    last: float | None = None
    last_statistics: float | None = None
    phase: int = -1
    phase_starts: dict[str, float] = field(default_factory=dict)
    phase_ends: dict[str, float] = field(default_factory=dict)
    recognised: bool = False
    charger_ready: bool = False
    peak_current: float = 0.0
    peak_voltage: float = 0.0
    energy_wh: float = 0.0
    soc_start: float | None = None
    soc_end: float | None = None
    charger_energy_kwh: float | None = None
    stops: list[Stop] = field(default_factory=list)
    timeouts: dict[str, list[float]] = field(default_factory=dict)  # "CEM:BCL" -> timestamps
    gaps: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _cyclic_last: dict[str, float] = field(default_factory=dict)
    _last_ccs: tuple[float, float, float] | None = None  # last (timestamp, volts, amps)
    _demand: tuple[float, float] | None = None  # last BCL (volts, amps)
    over_current: OverRequest = field(default_factory=lambda: OverRequest("current", 1.0, 0.01))
    over_voltage: OverRequest = field(default_factory=lambda: OverRequest("voltage", 1.0, 0.005))
    ripple: RippleWindows = field(default_factory=RippleWindows)
    dips: VoltageDips = field(default_factory=VoltageDips)

    @property
    def found(self) -> bool:
        return self.started is not None

    @property
    def charging(self) -> bool:
        return self.phase == CHARGING

    def add(self, ts: float, spec: MessageSpec, payload: bytes) -> None:
        name = spec.name
        if self.started is None:
            if spec.phase not in ("handshake", "recognition"):
                return  # a session begins with its handshake (or, before 2015, recognition)
            self.started = ts
        self.last = ts
        counts = self.counts
        counts[name] = counts.get(name, 0) + 1
        index = _PHASE_INDEX[name]
        if index >= 0:
            if index > self.phase:
                self._enter(index, ts)
            if index == self.phase:
                self.phase_ends[PHASES[index]] = ts
            if index == STATISTICS:
                self.last_statistics = ts
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, ts, payload)
        if self.phase == CHARGING and name in CYCLIC:
            previous = self._cyclic_last.get(name)
            if previous is not None and ts - previous > CYCLIC[name][1]:
                self.gaps.setdefault(name, []).append((previous, ts))
            self._cyclic_last[name] = ts

    def _enter(self, index: int, ts: float) -> None:
        if self.phase >= 0:
            self.phase_ends[PHASES[self.phase]] = ts
        if self.phase == CHARGING:  # leaving the charging stage: a silence up to the stop counts
            self._close_cyclic(ts)
        self.phase = index
        self.phase_starts[PHASES[index]] = ts

    def _close_cyclic(self, ts: float) -> None:
        for name, (_, timeout) in CYCLIC.items():
            previous = self._cyclic_last.get(name)
            if previous is not None and ts - previous > timeout:
                self.gaps.setdefault(name, []).append((previous, ts))

    # -- per message -----------------------------------------------------------------------

    def _crm(self, ts: float, payload: bytes) -> None:
        if payload[:1] == bytes([RECOGNISED]):
            self.recognised = True

    def _cro(self, ts: float, payload: bytes) -> None:
        if payload[:1] == bytes([READY]):
            self.charger_ready = True

    def _bcp(self, ts: float, payload: bytes) -> None:
        soc = decode_fields(BCP, payload).get("soc")
        if soc is not None and self.soc_start is None:
            self.soc_start = soc

    def _bcl(self, ts: float, payload: bytes) -> None:
        if len(payload) >= 4:
            self._demand = (int.from_bytes(payload[0:2], "little") * 0.1,
                            400.0 - int.from_bytes(payload[2:4], "little") * 0.1)

    def _bcs(self, ts: float, payload: bytes) -> None:
        if len(payload) >= 7:
            if self.soc_start is None:
                self.soc_start = float(payload[6])
            self.soc_end = float(payload[6])

    def _ccs(self, ts: float, payload: bytes) -> None:
        if len(payload) < 4 or self.phase != CHARGING:
            return
        volts = int.from_bytes(payload[0:2], "little") * 0.1
        amps = 400.0 - int.from_bytes(payload[2:4], "little") * 0.1
        if amps > self.peak_current:
            self.peak_current = amps
        if volts > self.peak_voltage:
            self.peak_voltage = volts
        if self._last_ccs is not None:
            t0, v0, a0 = self._last_ccs
            dt = ts - t0
            if 0 < dt <= MAX_INTEGRATION_STEP:
                self.energy_wh += (v0 * a0 + volts * amps) / 2 * dt / 3600
        self._last_ccs = (ts, volts, amps)
        if self._demand is not None:
            demand_v, demand_a = self._demand
            self.over_current.add(ts, amps, demand_a)
            self.over_voltage.add(ts, volts, demand_v)
            self.ripple.add(ts, amps, demand_a)
        self.dips.add(ts, volts, amps)

    def _bsd(self, ts: float, payload: bytes) -> None:
        if payload:
            self.soc_end = float(payload[0])

    def _csd(self, ts: float, payload: bytes) -> None:
        energy = decode_fields(CSD, payload).get("output_energy_kwh")
        if energy is not None:
            self.charger_energy_kwh = energy

    def _bst(self, ts: float, payload: bytes) -> None:
        if not any(s.initiator == "BMS" for s in self.stops):
            self.stops.append(Stop("BMS", ts, reasons_set(payload, BST_REASONS)))

    def _cst(self, ts: float, payload: bytes) -> None:
        if not any(s.initiator == "CHARGER" for s in self.stops):
            self.stops.append(Stop("CHARGER", ts, reasons_set(payload, CST_REASONS)))

    def _bem(self, ts: float, payload: bytes) -> None:
        for name in timeouts_set(payload, BEM_TIMEOUTS):
            self.timeouts.setdefault(f"BEM:{name}", []).append(ts)

    def _cem(self, ts: float, payload: bytes) -> None:
        for name in timeouts_set(payload, CEM_TIMEOUTS):
            self.timeouts.setdefault(f"CEM:{name}", []).append(ts)

    # -- results ---------------------------------------------------------------------------

    def finish(self) -> None:
        """Close what is still open at the end of the log."""
        self.over_current.close()
        self.over_voltage.close()
        self.dips.close()

    @property
    def handshake_completed(self) -> bool:
        return self.recognised and self.charger_ready

    def stop_reasons(self) -> list[Reason]:
        seen: dict[str, Reason] = {}
        for stop in self.stops:
            for reason in stop.reasons:
                if reason.code not in REACTIONS:
                    seen.setdefault(reason.code, reason)
        return list(seen.values())

    def summary(self) -> dict[str, Any]:
        assert self.started is not None and self.last is not None
        end = self.last_statistics if self.last_statistics is not None else self.last
        return {
            "durationSeconds": round(end - self.started, 3),
            "peakCurrentA": round(self.peak_current, 1),
            "peakVoltageV": round(self.peak_voltage, 1),
            "socStart": self.soc_start,
            "socEnd": self.soc_end,
            "energyKwh": round(self.energy_wh / 1000, 3),
            "chargerReportedEnergyKwh": self.charger_energy_kwh,
            "stopInitiator": self.stops[0].initiator if self.stops else None,
            "stopReasons": [r.code for r in self.stop_reasons()],
            "handshakeCompleted": self.handshake_completed,
            "phases": [{"name": name, "start": round(self.phase_starts[name], 6),
                        "end": round(self.phase_ends[name], 6)}
                       for name in PHASES if name in self.phase_starts],
            "sessionStart": self.started,
            "sessionEnd": end,
            "messageCounts": dict(sorted(self.counts.items())),
        }


BCP, CSD = BY_NAME["BCP"], BY_NAME["CSD"]
_PHASE_INDEX = {spec.name: -1 if spec.phase is None else PHASES.index(spec.phase)
                for spec in MESSAGES}
_HANDLERS = {"CRM": Session._crm, "CRO": Session._cro, "BCP": Session._bcp, "BCL": Session._bcl,
             "BCS": Session._bcs, "CCS": Session._ccs, "BSD": Session._bsd, "CSD": Session._csd,
             "BST": Session._bst, "CST": Session._cst, "BEM": Session._bem, "CEM": Session._cem}
