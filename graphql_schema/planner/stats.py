"""What happened to the requests a planner saw, counted in one place: read in-process with
`snapshot()`, and exported at /metrics as `aiplatform_planner_requests{outcome,reason}`
(summed across worker processes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from services.metrics import PLANNER, labelled

# the counters, as `snapshot()` names them
PLANNED = "planned"  # answered by a plan (first and known requests)
KNOWN = "known"  # of those, answered without strawberry's pipeline
PARTIAL = "partial"  # planned beside root fields strawberry executed
SUBTREES = "subtrees"  # planned with fields graphql-core executed on planned objects
UNPLANNABLE = "unplannable"  # no plan covers the operation: strawberry executed it
OUTAGE = "outage"  # PostgreSQL or Redis was down: raised once, not executed again
FALLBACK = "fallback"  # a plan ran and strawberry answered instead, by reason

# why strawberry answered a request a plan had started (the `reason` label)
ERROR_ANSWER = "error_answer"  # the answer carries an error: strawberry gives it, with its path
PLANNING_ERROR = "planning_error"  # compiling the plan failed (a planner bug)
EXECUTION_ERROR = "execution_error"  # running the plan failed (a planner bug)


@dataclass(eq=False)
class PlannerStats:
    """Counters shared by every request of a schema; `snapshot()` is their public reading."""

    counts: Counter[str] = field(default_factory=Counter)
    fallbacks: Counter[str] = field(default_factory=Counter)

    def count(self, name: str) -> None:
        self.counts[name] += 1
        labelled(PLANNER, name, "").inc()

    def fell_back(self, reason: str) -> None:
        self.fallbacks[reason] += 1
        labelled(PLANNER, FALLBACK, reason).inc()

    def snapshot(self) -> dict[str, int | dict[str, int]]:
        """Every counter (zero included), and the fallbacks by reason and in total."""
        names = (PLANNED, KNOWN, PARTIAL, SUBTREES, UNPLANNABLE, OUTAGE)
        return {**{name: self.counts[name] for name in names},
                FALLBACK: sum(self.fallbacks.values()),
                "fallback_by_reason": {reason: self.fallbacks[reason]
                                       for reason in (ERROR_ANSWER, PLANNING_ERROR,
                                                      EXECUTION_ERROR)}}
