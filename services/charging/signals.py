"""Running checks over the charger's measured output (CCS), each in constant memory.

- `OverRequest`: output above the BMS's request (BCL) beyond a tolerance, for longer than a
  charger needs to follow a lowered request; each such episode is kept.
- `RippleWindows`: the current's coefficient of variation over 2 s windows in which the request
  did not change; windows far above the session's own median (and above 5 %) are outliers.
- `VoltageDips`: the voltage falling more than 5 % under its running baseline while the current
  holds, until it recovers.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

MAX_KEPT = 100  # episodes / windows / dips kept as evidence


@dataclass
class Episode:
    start: float
    end: float
    peak: float  # the largest value seen
    limit: float  # what it should have stayed under, at the peak

    def as_evidence(self) -> dict[str, float]:
        return {"start": self.start, "end": self.end, "peak": round(self.peak, 2),
                "limit": round(self.limit, 2)}


@dataclass
class OverRequest:
    quantity: str  # "current" or "voltage"
    tolerance: float  # absolute, in A or V
    relative: float  # of the request
    min_seconds: float = 1.0
    episodes: list[Episode] = field(default_factory=list)
    _open: Episode | None = None

    def add(self, ts: float, value: float, request: float) -> None:
        limit = request + max(self.tolerance, self.relative * request)
        if value > limit:
            if self._open is None:
                self._open = Episode(ts, ts, value, limit)
            else:
                self._open.end = ts
                if value - limit > self._open.peak - self._open.limit:
                    self._open.peak, self._open.limit = value, limit
        elif self._open is not None:
            self._open.end = ts
            self.close()

    def close(self) -> None:
        episode, self._open = self._open, None
        if episode is not None and episode.end - episode.start >= self.min_seconds \
                and len(self.episodes) < MAX_KEPT:
            self.episodes.append(episode)


@dataclass
class Window:
    start: float
    end: float
    ripple: float  # standard deviation / mean of the current
    mean: float

    def as_evidence(self) -> dict[str, float]:
        return {"start": self.start, "end": self.end, "ripple": round(self.ripple, 4),
                "meanCurrentA": round(self.mean, 1)}


@dataclass
class RippleWindows:
    seconds: float = 2.0
    min_ripple: float = 0.05
    times_median: float = 3.0
    ripples: list[float] = field(default_factory=list)  # one float per window of the session
    flagged: list[Window] = field(default_factory=list)
    _start: float | None = None
    _n: int = 0
    _sum: float = 0.0
    _squares: float = 0.0
    _requests: tuple[float, float] = (math.inf, -math.inf)

    def add(self, ts: float, amps: float, request: float) -> None:
        if self._start is None:
            self._start, self._n, self._sum, self._squares = ts, 0, 0.0, 0.0
            self._requests = (request, request)
        self._n += 1
        self._sum += amps
        self._squares += amps * amps
        low, high = self._requests
        self._requests = (min(low, request), max(high, request))
        if ts - self._start >= self.seconds:
            self._close(ts)

    def _close(self, ts: float) -> None:
        start, self._start = self._start, None
        low, high = self._requests
        mean = self._sum / self._n
        if self._n < 5 or high - low > 0.5 or mean < 5.0 or mean < 0.8 * high:
            return  # ramping or following a changed request: not ripple
        variance = max(self._squares / self._n - mean * mean, 0.0)
        ripple = math.sqrt(variance) / mean
        self.ripples.append(ripple)
        if ripple > self.min_ripple and len(self.flagged) < MAX_KEPT and start is not None:
            self.flagged.append(Window(start, ts, ripple, mean))

    def outliers(self) -> list[Window]:
        if not self.ripples:
            return []
        bar = max(self.min_ripple, self.times_median * statistics.median(self.ripples))
        return [w for w in self.flagged if w.ripple > bar]


@dataclass
class Dip:
    start: float
    end: float
    lowest: float
    baseline: float

    @property
    def depth(self) -> float:
        return (self.baseline - self.lowest) / self.baseline

    def as_evidence(self) -> dict[str, float]:
        return {"start": self.start, "end": self.end, "lowestV": round(self.lowest, 1),
                "baselineV": round(self.baseline, 1), "depth": round(self.depth, 4)}


@dataclass
class VoltageDips:
    threshold: float = 0.05  # of the baseline
    recovered: float = 0.02
    min_volts: float = 5.0
    warmup: int = 20  # samples before the baseline is trusted
    alpha: float = 0.05
    dips: list[Dip] = field(default_factory=list)
    _volts: float | None = None
    _amps: float = 0.0
    _samples: int = 0
    _open: Dip | None = None

    def add(self, ts: float, volts: float, amps: float) -> None:
        if amps < 5.0:  # no output (pause, ramp-down): nothing to compare with
            self._volts, self._samples, self._open = None, 0, None
            return
        if self._volts is None:
            self._volts, self._amps = volts, amps
        baseline = self._volts
        if self._open is not None:
            self._open.end = ts
            self._open.lowest = min(self._open.lowest, volts)
            if volts >= baseline * (1 - self.recovered):
                self.close()
            return
        falling = baseline - volts
        if (self._samples >= self.warmup and falling > self.min_volts
                and falling > self.threshold * baseline and amps >= 0.8 * self._amps):
            self._open = Dip(ts, ts, volts, baseline)
            return
        self._samples += 1
        self._volts = baseline + self.alpha * (volts - baseline)
        self._amps += self.alpha * (amps - self._amps)

    def close(self) -> None:
        dip, self._open = self._open, None
        if dip is not None and len(self.dips) < MAX_KEPT:
            self.dips.append(dip)
