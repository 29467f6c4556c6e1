"""Which deployment of a group answers a request: a weighted choice by `traffic_percentage`
(90/10 sends about nine requests in ten to the first), the same deployment every time for
one `user` of one name (a conversation does not hop between model versions mid-way).

A sticky point is the first 8 bytes of SHA-256 over `user` and the name, scaled to [0, 1):
uniform over users, stable across processes and restarts. Weights need not sum to 100: each
deployment gets its share of the total; a group whose weights are all 0 is split evenly.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Weighted(Protocol):
    @property
    def traffic_percentage(self) -> float: ...


T = TypeVar("T", bound=Weighted)
_SCALE = float(1 << 64)


def sticky_point(user: str, name: str) -> float:
    """A point in [0, 1) fixed by (user, name)."""
    digest = hashlib.sha256(f"{name}\x00{user}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def choose(group: Sequence[T], *, name: str, user: str | None = None,
           rng: random.Random | None = None) -> T:
    """One deployment of a non-empty group, kept in a stable order (by id) by the caller."""
    point = sticky_point(user, name) if user else (rng or random).random()
    weights = [max(t.traffic_percentage, 0.0) for t in group]
    total = sum(weights)
    if total <= 0:
        return group[min(int(point * len(group)), len(group) - 1)]
    bound = point * total
    for target, weight in zip(group, weights, strict=True):
        bound -= weight
        if bound < 0:
            return target
    return next(t for t, w in zip(reversed(group), reversed(weights), strict=True) if w > 0)
